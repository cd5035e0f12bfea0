"""``python -m cli`` runs the casedesk command line."""

from cli.main import main

main()
