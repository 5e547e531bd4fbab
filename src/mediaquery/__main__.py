"""`python -m mediaquery`."""

from mediaquery.cli import main

main()
