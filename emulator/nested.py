"""Nested stacks for moto, which does not model them.

On AWS, a stack created by an AWS::CloudFormation::Stack resource carries ParentId and RootId
in DescribeStacks and ListStacks. moto creates no child stacks, so the seed creates the child
with CreateStack and then links it here; moto's serialiser then returns ParentId and RootId
like AWS. In-process only (the emulator server runs in the same process).
"""

from __future__ import annotations

from moto.cloudformation.models import cloudformation_backends


def link_nested_stack(account_id: str, region: str, child_name: str, parent_name: str) -> None:
    """Make `child_name` a nested stack of `parent_name` (its root is the parent's root)."""
    backend = cloudformation_backends[account_id][region]
    parent = backend.get_stack(parent_name)
    child = backend.get_stack(child_name)
    child.parent_id = parent.stack_id  # type: ignore[attr-defined]
    child.root_id = getattr(parent, "root_id", None) or parent.stack_id  # type: ignore[attr-defined]
