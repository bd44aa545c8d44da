"""`python -m backend`: the command line.

The CLI is a door (like pages and tasks) and lives in `cli/`, where it may start Celery jobs;
this module only keeps the documented command working. Nothing in backend imports it.
"""

import sys

from cli.main import main

sys.exit(main())
