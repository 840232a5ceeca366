"""The chat prompt for base models, which have no chat template of their own.

A base model only continues text, so a conversation is written as a plain dialogue
that it can continue with the assistant's turn (the bundled gemma-3-270m is one).
"""

from __future__ import annotations

from typing import Sequence

from models.generator import Message

PLAIN_STOPS = ["\nUser:", "\nSystem:"]


def plain_chat_prompt(messages: Sequence[Message]) -> str:
    """The prompt for base models without a chat template.

    Format (one block per message, then an open assistant turn)::

        <system content>            (only if there is a system message)

        User: <content>
        Assistant: <content>
        User: <content>
        Assistant:

    Generation stops at ``\\nUser:`` (the model starting the next user turn), so a
    base model that continues the dialogue does not answer for the user.
    """
    parts = []
    for m in messages:
        role, content = m.get("role", "user"), str(m.get("content", "")).strip()
        if role == "system":
            parts.append(f"{content}\n")
        elif role == "assistant":
            parts.append(f"Assistant: {content}")
        else:
            parts.append(f"User: {content}")
    parts.append("Assistant:")
    return "\n".join(parts)
