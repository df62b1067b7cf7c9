import click

demo_cli = click.Group("demo", help="The practice LMS (development only).")
