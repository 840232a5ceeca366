"""``wenji models list|add|remove|show|catalog|download``: the GGUF chat models Wenji
can use, and the catalog of models it can download (:mod:`models.catalog`).

Listing reads GGUF headers only (instant), and assembles the bundled gemma-3-270m into
the models folder first so a fresh data folder always has one working model.  A broken
file is listed with its problem instead of failing the command.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

from app.context import Context, UserError
from models.download import human_size


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

    cat = msub.add_parser("catalog", help="models Wenji can download, and whether they fit "
                                          "this machine")
    cat.add_argument("--json", action="store_true", help="machine-readable output")
    cat.set_defaults(func=run_catalog)

    dl = msub.add_parser("download", help="download a catalog model (the only network use; "
                                          "Ctrl-C pauses, run again to resume)")
    dl.add_argument("name", metavar="NAME", help="a name from `wenji models catalog`")
    dl.add_argument("--use", action="store_true", help="make it the chat model afterwards")
    dl.add_argument("--cancel", action="store_true",
                    help="delete a paused download of NAME instead of resuming it")
    dl.set_defaults(func=run_download)


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
              f"{human_size(m.size_bytes):>8} {m.context_length:>8}  "
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
                 ("file size", f"{info.size_bytes:,} bytes ({human_size(info.size_bytes)})"),
                 ("trained context", f"{info.context_length:,} tokens"),
                 ("chat template", "yes" if info.has_chat_template else
                  "no (Wenji uses its plain-text prompt format)")]
    for key, value in dataclasses.asdict(settings).items():
        rows.append((f"setting {key}", repr(value) if isinstance(value, str) else str(value)))
    for label, value in rows:
        print(f"{label:<24} {value}")
    return 0


def _catalog(ctx: Context):
    from models.catalog import CatalogError, full_catalog

    try:
        return full_catalog(ctx.home.root / "catalog.toml")
    except CatalogError as exc:
        raise UserError(f"the model catalog is broken: {exc}") from None


def run_catalog(args, ctx: Context) -> int:
    from models.catalog import MachineInfo, fit, memory_size, speed_class
    from models.download import partial_downloads

    entries = _catalog(ctx)
    machine = MachineInfo.detect()
    have = {m.name for m in _registry(ctx).list()}
    paused = partial_downloads(ctx.home.models_dir)
    rows = []
    for e in entries:
        f = fit(e, machine)
        state = ("downloaded" if e.file in have else
                 f"paused at {human_size(paused[e.file])}" if e.file in paused else "")
        rows.append((e, f, speed_class(e, machine.gpu_offload), state))
    if args.json:
        print(json.dumps([dict(dataclasses.asdict(e), fit=f.level, fit_reason=f.reason,
                               speed=speed, state=state) for e, f, speed, state in rows],
                         indent=2, ensure_ascii=False))
        return 0
    print(f"  {'NAME':<36} {'PARAMS':>6} {'SIZE':>7}  {'LANG':<6} {'FIT':<8} {'SPEED':<10} "
          "NOTES")
    for e, f, speed, state in rows:
        langs = "zh+en" if e.chinese and "en" in e.languages else ",".join(e.languages[:2])
        mark = "*" if state == "downloaded" else " "
        extra = f"[{state}] " if state and state != "downloaded" else ""
        think = "reasoning; " if e.reasoning else ""
        print(f"{mark} {e.name:<36} {e.params_b:>5.1f}B {human_size(e.size_bytes):>7}  {langs:<6} "
              f"{f.level.replace('_', ' '):<8} {speed:<10} {extra}{think}{e.notes}")
    print(f"* = downloaded.  Fit: this machine has "
          f"{memory_size(machine.total_ram_bytes, whole=True)} of memory"
          f"{'' if machine.gpu_offload else ' and no GPU offload'}.  "
          "Get one: wenji models download NAME")
    return 0


def run_download(args, ctx: Context) -> int:
    from models.catalog import CatalogError, find
    from models.download import DownloadError, DownloadStopped, ModelDownload, human_duration

    try:
        entry = find(args.name, _catalog(ctx))
    except CatalogError as exc:
        raise UserError(str(exc)) from None
    last = [0.0]

    def show(p) -> None:
        now = time.monotonic()
        if p.stage == "downloading" and now - last[0] < 0.5 and p.done < p.total:
            return
        last[0] = now
        if p.stage == "downloading":
            eta = f", {human_duration(p.eta)} left" if p.eta is not None else ""
            line = (f"{entry.file}: {p.fraction:5.1%} of {human_size(p.total)} "
                    f"({human_size(p.rate)}/s{eta})")
        else:
            line = f"{entry.file}: {p.stage}"
        print(f"\r{line:<78}", end="", file=sys.stderr, flush=True)

    dl = ModelDownload(entry, ctx.home.models_dir,
                       endpoint=ctx.settings.models.hub_endpoint or None, progress=show)
    if args.cancel:
        dl.discard()
        print(f"deleted the paused download of {entry.file}")
        return 0
    if dl.partial_size():
        print(f"resuming {entry.file} at {human_size(dl.partial_size())}", file=sys.stderr)
    try:
        path = dl.run()
    except KeyboardInterrupt:
        print(f"\npaused: {human_size(dl.partial_size())} of {entry.file} kept; run the same "
              "command to go on", file=sys.stderr)
        return 130
    except DownloadStopped as exc:
        print(file=sys.stderr)
        raise UserError(str(exc)) from None
    except DownloadError as exc:
        print(file=sys.stderr)
        raise UserError(f"{entry.name}: {exc}") from None
    print(file=sys.stderr)
    print(f"downloaded {entry.display} to {path}")
    if args.use:
        ctx.settings.models.chat_model = path.name
        ctx.settings.save(ctx.home.settings_path)
        print(f"it is now the chat model (models.chat_model = {path.name!r})")
    else:
        print(f"use it: wenji ask --model {path.name} \"...\" (or pick it in the window)")
    return 0
