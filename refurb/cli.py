"""The ``refurb`` command: a Flask CLI group with serve, db, users and seed-demo."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app, migrate
from .config import trust_host
from .formatting import plural


class FrenchHelpFormatter(click.HelpFormatter):
    """Click's help in French: its few fixed words (usage, sections, defaults, the help option)."""

    SECTIONS = {"Options": "Options", "Commands": "Commandes", "Arguments": "Arguments"}
    WORDS = (("Show this message and exit.", "Affiche cette aide et quitte."),
             ("[default: ", "[par défaut : "), ("[required]", "[obligatoire]"))
    METAVARS = {"TEXT": "TEXTE", "INTEGER": "ENTIER", "FILE": "FICHIER", "PATH": "CHEMIN", "FLOAT": "NOMBRE"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args.replace("COMMAND [ARGS]...", "COMMANDE [ARGUMENTS]..."),
                            prefix="Utilisation : " if prefix is None else prefix)

    def section(self, name: str):
        return super().section(self.SECTIONS.get(name, name))

    def write_dl(self, rows, *args, **kwargs) -> None:
        def french(text: str) -> str:
            for english, translated in self.WORDS:
                text = text.replace(english, translated)
            return text
        def metavar(term: str) -> str:
            return " ".join(self.METAVARS.get(w, w) for w in term.split(" "))
        super().write_dl([(metavar(term), french(text)) for term, text in rows], *args, **kwargs)


def main() -> None:
    """The ``refurb`` command: our commands only (Flask's run, routes and shell and its --app, --env-file
    and --debug options are left out: ``refurb serve`` is the way to run it), with a French help."""
    click.Context.formatter_class = FrenchHelpFormatter  # this process is the command line
    cli = FlaskGroup(create_app=create_app, add_default_commands=False, add_version_option=False,
                     load_dotenv=False, set_debug_flag=False,
                     help="Refurb : reconditionnement et prêt de matériel.")
    cli.params = [p for p in cli.params if p.name not in ("env_file", "app", "debug")]
    click.version_option(package_name="refurb", prog_name="Refurb", message="%(prog)s %(version)s",
                         help="Affiche la version de Refurb et quitte.")(cli)
    cli.main(prog_name="refurb")


def _url() -> str:
    return current_app.config["DATABASE_URL"]


def _database_is_empty(url: str) -> bool:
    from sqlalchemy import create_engine, inspect
    engine = create_engine(url)
    try:
        return "users" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _show_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def register_commands(app) -> None:
    app.cli.add_command(serve)
    app.cli.add_command(db_group)
    app.cli.add_command(users_group)
    app.cli.add_command(seed_demo)
    app.cli.add_command(collector_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(keys_group)
    app.cli.add_command(import_report_files)


@click.command("collector")
def collector_command() -> None:
    """Affiche refurb-collect, le relevé du matériel à copier sur la clé de démarrage :
    refurb collector > refurb-collect.py (voir le README)."""
    from importlib.resources import files
    click.echo(files("refurb").joinpath("collect.py").read_text(encoding="utf-8"), nl=False)


def _tune_garbage_collector() -> None:
    """What the server made at start-up (the app, its templates, the mappers) lives as long as it does: kept out of
    the garbage collector's rounds. A round then comes every 10,000 new objects rather than 700: a page makes a few
    thousand, nearly all freed as soon as its request ends, so most rounds found nothing to collect. Measured in
    process: a device page and the stock page −0.16 ms (−4 %), the API's /me −0.07 ms."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Adresse d'écoute (0.0.0.0 : toutes les interfaces du poste).")
@click.option("--port", default=5000, show_default=True, type=int,
              help="Port d'écoute (changez-le si 5000 est déjà pris, ex. --port 8080).")
@click.option("--threads", default=8, show_default=True, type=int, help="Fils de traitement de waitress.")
@click.option("--demo", is_flag=True, help="Base vide ou absente : la créer et charger les données de démonstration. "
              "Base existante : ses données sont gardées telles quelles (seul le schéma est mis à jour).")
@with_appcontext
def serve(host: str, port: int, threads: int, demo: bool) -> None:
    """Sert l'application avec waitress."""
    from waitress import serve as waitress_serve

    url = _url()
    click.echo(f"Base de données : {_show_url(url)}")
    if demo:
        empty = _database_is_empty(url)
        migrate.upgrade(url)
        if empty:
            from .demo import DEMO_PASSWORD, seed_demo_data
            with current_app.extensions["refurb.db"].session(write=True) as db:
                logins = seed_demo_data(db)
                db.commit()
            click.echo("Données de démonstration chargées. Comptes de démonstration "
                       f"(mot de passe commun : {DEMO_PASSWORD}) :")
            for username, role, sites in logins:
                click.echo(f"  {username:<20} {role:<14} {sites}")
        else:
            click.echo("La base existe déjà : données conservées (mise à jour du schéma faite).")
    elif not migrate.is_up_to_date(url):
        raise click.ClickException("La base de données n'est pas à jour. Lancez d'abord « refurb db upgrade » "
                                   "(ou « refurb serve --demo » pour un essai).")
    from .config import unstable_secret
    problem = unstable_secret(current_app, host)
    if problem:
        raise click.ClickException(problem)
    with _write_session() as db:  # certificates' signing key ready (and the secret key's certificates adopted)
        from .certificates import services as certificates
        certificates.ensure_signing_key(db)
    current_app.extensions["refurb.jobs"].poll()  # background jobs queued here or by another process
    trust_host(current_app, host)  # people reach the server by the address it listens on
    if not current_app.config["PUBLIC_URL"]:
        names = ", ".join(current_app.config["URL_TRUSTED_HOSTS"])
        click.echo("REFURB_PUBLIC_URL n'est pas définie : étiquettes et certificats ne s'impriment que depuis "
                   f"une page ouverte par {names} (ajoutez d'autres noms dans REFURB_TRUSTED_HOSTS).")
    click.echo(f"Refurb est servi sur http://{host}:{port}/  (Ctrl+C pour arrêter)")
    _tune_garbage_collector()
    waitress_serve(current_app._get_current_object(), host=host, port=port, threads=threads,
                   ident="refurb", clear_untrusted_proxy_headers=True)


@click.group("db")
def db_group() -> None:
    """Schéma de la base (migrations Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Met la base à jour (jusqu'à REVISION, par défaut la dernière)."""
    migrate.upgrade(_url(), revision)
    click.echo(f"Base à la révision : {migrate.current_revision(_url())}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Ramène la base à REVISION (« base » pour tout retirer)."""
    migrate.downgrade(_url(), revision)
    click.echo(f"Base à la révision : {migrate.current_revision(_url()) or 'base (vide)'}")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Affiche la révision de la base et la dernière disponible."""
    url = _url()
    current, head = migrate.current_revision(url), migrate.head_revision(url)
    click.echo(f"Révision actuelle : {current or 'aucune (base vide)'}")
    click.echo(f"Dernière révision : {head}" + ("  (à jour)" if current == head else "  (mise à jour nécessaire)"))


@click.group("users")
def users_group() -> None:
    """Comptes utilisateurs et jetons d'API."""


def _write_session():
    return current_app.extensions["refurb.db"].session(write=True)


def _fail(err) -> None:
    raise click.ClickException(getattr(err, "message", str(err)))


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "gestionnaire", "technicien", "accueil", "borne"]))
@click.option("--site", "sites", multiple=True, help="Code d'un site servi (répétable) ; le premier est le site principal.")
@click.option("--full-name", default="", help="Nom affiché.")
@click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard.")
@with_appcontext
def users_create(username, role, sites, full_name, password_stdin) -> None:
    """Crée un compte."""
    from .accounts import services
    from .errors import RefurbError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Confirmez le mot de passe")
    with _write_session() as db:
        try:
            user = services.create_user(db, {"username": username, "role": role, "sites": list(sites),
                                             "home_site": sites[0] if sites else "", "full_name": full_name,
                                             "password": password, "active": True})
        except RefurbError as err:
            _fail(err)
        db.commit()
        click.echo(f"Compte « {user.username} » créé ({role}).")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """Liste les comptes."""
    from .accounts import services
    with _write_session() as db:
        for u in services.list_users(db):
            state = "actif" if u.active else "désactivé"
            click.echo(f"{u.username:<24} {u.role:<14} {state:<10} {', '.join(s.code for s in u.sites)}")


@users_group.command("token")
@click.argument("username")
@click.option("--name", default="", help="À quoi sert ce jeton (ex. « inventaire-tablette »).")
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None, help="Durée de validité en jours.")
@with_appcontext
def users_token(username, name, expires_days) -> None:
    """Crée un jeton d'API ; il est affiché une seule fois, en dernière ligne."""
    from .accounts import services
    from .errors import RefurbError
    with _write_session() as db:
        try:
            user = services.get_user(db, username)
            token, secret = services.create_token(db, user, name=name, expires_days=expires_days)
        except RefurbError as err:
            _fail(err)
        db.commit()
        click.echo(f"Jeton n° {token.id} créé pour « {user.username} ». Conservez-le : il ne sera plus affiché.")
        click.echo(secret)


@users_group.command("tokens")
@click.argument("username")
@with_appcontext
def users_tokens(username) -> None:
    """Liste les jetons d'un compte (jamais leur valeur)."""
    from .accounts import services
    from .errors import RefurbError
    from .formatting import datetime_fr
    with _write_session() as db:
        try:
            user = services.get_user(db, username)
        except RefurbError as err:
            _fail(err)
        for t in services.list_tokens(db, user):
            state = "révoqué" if t.revoked_at else "actif"
            click.echo(f"n° {t.id:<5} {t.prefix}…  {state:<8} créé {datetime_fr(t.created_at)}  "
                       f"expire {datetime_fr(t.expires_at) or 'jamais'}  {t.name}")


@users_group.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def users_revoke_token(token_id) -> None:
    """Révoque un jeton par son numéro."""
    from .accounts import services
    from .errors import RefurbError
    with _write_session() as db:
        try:
            services.revoke_token(db, None, token_id)
        except RefurbError as err:
            _fail(err)
        db.commit()
        click.echo(f"Jeton n° {token_id} révoqué.")


@click.command("seed-demo")
@click.option("--devices", type=click.IntRange(0, 1_000_000), default=None,
              help="Ajoute N appareils synthétiques (mesures de performance).")
@with_appcontext
def seed_demo(devices) -> None:
    """Charge les données de démonstration dans la base configurée."""
    from .demo import DEMO_PASSWORD, seed_demo_data
    url = _url()
    migrate.upgrade(url)
    with _write_session() as db:
        logins = seed_demo_data(db, synthetic_devices=devices or 0, echo=click.echo)
        db.commit()
    engine = current_app.extensions["refurb.db"].engine
    if devices and engine.dialect.name == "postgresql":
        # A bulk load in one transaction: each device's moves added rows to the stock tallies (summed every
        # thousand), whose dead rows no vacuum could take meanwhile. The table and its index were left hundreds of
        # times their size (2,700 pages for 900 rows at 100,000 devices), which the stock page reads: compacted,
        # as after any bulk load. Day-to-day moves leave autovacuum time to keep them small.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (FULL, ANALYZE) stock_tallies")
    click.echo(f"Données de démonstration chargées (mot de passe commun : {DEMO_PASSWORD}).")
    for username, role, sites in logins:
        click.echo(f"  {username:<20} {role:<14} {sites}")


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path | None) -> None:
    """Sauvegarde toute la base dans un fichier, même pendant que Refurb sert (par défaut dans le dossier
    d'instance, backups/refurb-AAAAMMJJ-HHMMSS)."""
    from . import backup
    from .clock import utcnow
    url = _url()
    if path is None:
        name = f"refurb-{utcnow().strftime('%Y%m%d-%H%M%S')}{backup.suffix(url)}"
        path = Path(current_app.instance_path) / "backups" / name
    try:
        written = backup.backup(url, path)
    except backup.BackupError as err:
        raise click.ClickException(str(err))
    click.echo(f"Sauvegarde écrite : {written} ({written.stat().st_size // 1024} Ko).")
    from sqlalchemy import func, select

    from .refurbishment.models import Erasure
    with _write_session() as db:
        left = db.scalar(select(func.count()).select_from(Erasure).where(Erasure.report_path.is_not(None)))
    if left:
        reports = plural(left, "rapport d'effacement")
        click.echo(f"Attention : {reports} encore en fichier hors de la base (version antérieure) : lancez "
                   "« refurb import-report-files », ou copiez aussi le dossier des rapports.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Remplacer le contenu d'une base qui n'est pas vide.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    """Restaure une sauvegarde dans la base configurée (vide, sauf --force) ; arrêtez Refurb avant."""
    from . import backup
    url = _url()
    current_app.extensions["refurb.db"].dispose()
    try:
        revision = backup.restore(url, path, force=force)
    except backup.BackupError as err:
        raise click.ClickException(str(err))
    click.echo(f"Sauvegarde restaurée dans {_show_url(url)} (schéma {revision}).")
    if not migrate.is_up_to_date(url):
        click.echo("Lancez maintenant « refurb db upgrade » pour l'amener à la version actuelle du schéma.")


@click.group("keys")
def keys_group() -> None:
    """Clés de signature des certificats."""


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Crée une nouvelle clé de signature ; les certificats déjà émis restent vérifiables."""
    from .certificates import services as certificates
    with _write_session() as db:
        key = certificates.rotate_signing_key(db)
        click.echo(f"Nouvelle clé de signature n° {key.id} : les prochains certificats la portent.")



@click.command("import-report-files")
@with_appcontext
def import_report_files() -> None:
    """Range dans la base les rapports d'effacement qu'une version antérieure gardait en fichiers (dossier
    reports/ du dossier d'instance ou REFURB_REPORTS_DIR) ; les fichiers restent en place."""
    from pathlib import Path as _Path

    from .refurbishment import services as refurbishment
    directory = current_app.config.get("REFURB_REPORTS_DIR") or _Path(current_app.instance_path) / "reports"
    store = refurbishment.ReportStore(_Path(directory))
    with _write_session() as db:
        moved, problems = refurbishment.import_report_files(db, store)
    click.echo(f"{plural(moved, 'rapport rangé')} dans la base.")
    for problem in problems:
        click.echo(f"  non rangé : {problem}")
