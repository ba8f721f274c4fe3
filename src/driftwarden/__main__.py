"""`python -m driftwarden`: the command line (see driftwarden.cli)."""

from driftwarden.cli import main

raise SystemExit(main())
