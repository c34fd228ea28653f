"""``python -m erreichbarkeit``."""

import sys

from erreichbarkeit.cli.main import main

sys.exit(main())
