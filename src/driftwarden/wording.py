"""Small helpers for text people read (the CLI's lines and the report)."""


def count(number: int, noun: str) -> str:
    """'1 stack', '2 stacks'."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
