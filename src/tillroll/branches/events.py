"""The branch events: `branch.created`, `branch.updated`, `branch.deleted`."""

from __future__ import annotations

from tillroll.branches.schemas import Branch
from tillroll.events.catalog import lifecycle

BRANCH_EVENTS = lifecycle("branch", Branch)
