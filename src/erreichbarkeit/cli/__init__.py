"""The command line: one module per subcommand.

:mod:`~erreichbarkeit.cli.main` builds the parser and runs a subcommand;
:mod:`~erreichbarkeit.cli._common` holds what the subcommands share.
"""
