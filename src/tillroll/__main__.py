from tillroll.cli import cli

cli()
