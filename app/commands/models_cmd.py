"""``wenji models list|add|remove|show``: the GGUF chat models Wenji can use.

Listing reads GGUF headers only (instant), and assembles the bundled gemma-3-270m into
the models folder first so a fresh data folder always has one working model.  A broken
file is listed with its problem instead of failing the command.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from app.context import Context, UserError


def register(sub) -> None:
    p = sub.add_parser("models", help="list, add, remove or inspect GGUF chat models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    p.set_defaults(func=lambda args, ctx: _usage(p))

    ls = msub.add_parser("list", help="the models in the models folder and extra folders")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=run_list)

    add = msub.add_parser("add", help="copy (or link) a .gguf file into the models folder")
    add.add_argument("path", metavar="PATH", help="the .gguf file")
    add.add_argument("--link", action="store_true",
                     help="symlink instead of copying (the file must stay where it is)")
    add.set_defaults(func=run_add)

    rm = msub.add_parser("remove", help="delete a model from the models folder")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=run_remove)

    show = msub.add_parser("show", help="details and saved settings of one model")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=run_show)


def _usage(parser) -> int:
    parser.print_help()
    return 2


def _registry(ctx: Context):
    from app.services import make_registry

    return make_registry(ctx)


def _ensure_bundled(ctx: Context) -> str:
    from models import bundled

    try:
        return bundled.ensure_chat_model(ctx.home.models_dir).name
    except bundled.BundledModelError as exc:
        print(f"wenji: warning: {exc}", file=sys.stderr)
        return ""


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def run_list(args, ctx: Context) -> int:
    bundled_name = _ensure_bundled(ctx)
    models = _registry(ctx).list()
    chosen = ctx.settings.models.chat_model or bundled_name
    if args.json:
        rows = [dict(m.to_dict(), selected=m.name == chosen or str(m.path) == chosen)
                for m in models]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not models:
        print(f"no models in {ctx.home.models_dir}")
        return 0
    print(f"  {'NAME':<40} {'ARCH':<10} {'PARAMS':>7} {'QUANT':<8} {'SIZE':>8} {'CONTEXT':>8}"
          "  CHAT TEMPLATE")
    for m in models:
        mark = "*" if m.name == chosen or str(m.path) == chosen else " "
        if m.error:
            print(f"{mark} {m.name:<40} ERROR: {m.error}")
            continue
        print(f"{mark} {m.name:<40} {m.architecture:<10} {m.size_label:>7} {m.quantization:<8} "
              f"{_size(m.size_bytes):>8} {m.context_length:>8}  "
              f"{'yes' if m.has_chat_template else 'no (plain-text prompts)'}")
    print("* = the chat model in use")
    return 0


def run_add(args, ctx: Context) -> int:
    from models.registry import RegistryError

    try:
        info = _registry(ctx).add(args.path, link=args.link)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    print(f"added {info.name} ({info.architecture}, {info.size_label} parameters, "
          f"{info.quantization}) {'as a link' if args.link else 'by copying'} to "
          f"{ctx.home.models_dir}")
    return 0


def run_remove(args, ctx: Context) -> int:
    from models.registry import RegistryError

    try:
        path = _registry(ctx).remove(args.name)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    print(f"removed {path}")
    if ctx.settings.models.chat_model in (args.name, path.name, str(path)):
        print("note: it was the chat model in settings; the bundled model will be used")
    return 0


def run_show(args, ctx: Context) -> int:
    from models.registry import RegistryError

    reg = _registry(ctx)
    try:
        info = reg.get(args.name)
        settings = reg.load_model_settings(info.name)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print(json.dumps({"model": info.to_dict(), "settings": dataclasses.asdict(settings)},
                         indent=2, ensure_ascii=False))
        return 0
    rows = [("name", info.name), ("file", str(info.path)), ("folder", info.folder)]
    if info.error:
        rows.append(("error", info.error))
    else:
        rows += [("display name", info.display_name), ("architecture", info.architecture),
                 ("parameters", f"{info.parameter_count:,} ({info.size_label})"),
                 ("quantization", info.quantization),
                 ("file size", f"{info.size_bytes:,} bytes ({_size(info.size_bytes)})"),
                 ("trained context", f"{info.context_length:,} tokens"),
                 ("chat template", "yes" if info.has_chat_template else
                  "no (Wenji uses its plain-text prompt format)")]
    for key, value in dataclasses.asdict(settings).items():
        rows.append((f"setting {key}", repr(value) if isinstance(value, str) else str(value)))
    for label, value in rows:
        print(f"{label:<24} {value}")
    return 0
