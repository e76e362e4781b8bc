"""`flask backfill ...`: make earlier years' grant-only plans for 补学."""
import click
from flask.cli import AppGroup

from app.backfill import years
from app.learning.models import Project

backfill_cli = AppGroup("backfill", help="补学: earlier years' plans (grant-only).")


def _source(project_id):
    project = Project.get_or_none(Project.id == project_id)
    if project is None:
        raise click.ClickException(f"no project with id {project_id}")
    return project


@backfill_cli.command("add-years")
@click.option("--from-project", "source_id", type=int, required=True,
              help="The project whose courses, chapters and questions each year gets.")
@click.option("--first", type=int, default=years.FIRST_YEAR, show_default=True)
@click.option("--last", type=int, default=years.LAST_YEAR, show_default=True)
def add_years(source_id, first, last):
    """Create the grant-only plans of FIRST..LAST (existing ones are left as they are)."""
    if not 2000 <= first <= last <= 2100:
        raise click.ClickException("years must be 2000-2100 and FIRST <= LAST")
    for line in years.create_years(_source(source_id), first, last):
        click.echo(line)
