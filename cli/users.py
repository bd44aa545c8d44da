"""`users`: the people who use the product, their verified numbers and PINs."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from backend.access.audit import Actor
from backend.accounts import invites, phones, users
from backend.enums import Channel
from backend.errors import InvalidInput
from backend.read_models import records
from backend.read_models.records import user_record
from cli.output import Command, noun, table

LIST_COLUMNS = [
    "id",
    "name",
    "email",
    "phone",
    "phone_verified",
    "has_pin",
    "is_admin",
    "preferred_channel",
]


def cmd_users_add(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    # A number an admin adds is trusted: it is recognised when it calls or texts. The link
    # printed lets the person set their password and sign in to the web app.
    user, link = invites.add_and_invite(
        name=args.name,
        email=args.email,
        phone=args.phone,
        is_admin=args.admin,
        preferred_channel=Channel(args.channel),
        phone_verified=True,
        actor=actor,
    )
    text = f"added user {user.email} (id {user.id})\n" + _link_text(link)
    return {**user_record(user).as_json(), **_link_view(link)}, text


def _link_view(link: invites.Invite) -> dict[str, Any]:
    return {"invite_url": link.url, "invite_expires_at": link.expires_at.isoformat()}


def _link_text(link: invites.Invite) -> str:
    expires = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Send {link.email} this link to set their password and sign in (once, until "
        f"{expires}):\n{link.url}"
    )


def cmd_users_invite(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    link = invites.invite(args.email, actor=actor)
    return {"email": link.email, **_link_view(link)}, _link_text(link)


def cmd_users_set_password(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    password = args.password
    if password is None:
        password = getpass.getpass(f"New password for {args.email}: ")
        if getpass.getpass("The same password again: ") != password:
            raise InvalidInput("the two passwords differ")
    user = invites.set_password(args.email, password, actor=actor)
    return user_record(
        user
    ).as_json(), f"password set for {user.email}; they can log in on the web app now"


def cmd_users_list(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    rows = [u.as_json() for u in records.read_users()]
    return rows, table(rows, LIST_COLUMNS)


def cmd_users_set_pin(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    pin = args.pin
    if pin is None:
        pin = getpass.getpass("New PIN (4 to 8 digits): ")
        if getpass.getpass("The same PIN again: ") != pin:
            raise InvalidInput("the two PINs differ")
    person = records.read_user(args.email)
    user = phones.set_pin(int(person.id), pin, actor=actor)
    return user_record(user).as_json(), f"PIN set for {user.email}"


def cmd_users_verify_phone(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    if args.trusted:
        if args.phone:
            raise InvalidInput("--trusted vouches for the number the user has: leave out --phone")
        user = phones.mark_phone_verified(args.email, actor=actor)
        return user_record(user).as_json(), f"{user.phone} of {user.email} is verified"
    if not args.phone:
        raise InvalidInput("give --phone (a code is sent to it) or --trusted")
    person = records.read_user(args.email)
    verification = phones.start_phone_verification(int(person.id), args.phone, actor=actor)
    user = records.read_user(args.email)  # as it is now: with the number being verified
    text = (
        f"a code was sent to {verification.phone}; confirm it with "
        f"'users confirm-phone {user.email} CODE'"
    )
    user.code_sent_to = verification.phone
    return user.as_json(), text


def cmd_users_confirm_phone(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    person = records.read_user(args.email)
    user = phones.confirm_phone(int(person.id), args.code, actor=actor)
    return user_record(user).as_json(), f"{user.phone} of {user.email} is verified"


def cmd_users_quiet_hours(args: argparse.Namespace, actor: Actor) -> tuple[Any, str]:
    person = records.read_user(args.email)
    user = users.set_quiet_hours(
        int(person.id), timezone=args.timezone, start=args.start, end=args.end, actor=actor
    )
    hours = f"{user.quiet_start} to {user.quiet_end}" if user.quiet_start else "none"
    view = {"email": user.email, "timezone": user.timezone, "quiet_hours": hours}
    return view, f"{user.email}: time zone {user.timezone}, quiet hours {hours}"


def register(groups: Any, command: Command) -> None:
    cmds = noun(groups, "users", "people who use the product")
    add = command(cmds, "add", cmd_users_add, "add a user")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument(
        "--phone", help="E.164, like +15551234567; counts as verified (you vouch for it)"
    )
    add.add_argument("--admin", action="store_true")
    add.add_argument(
        "--channel",
        default=Channel.EMAIL.value,
        choices=[str(c) for c in users.PREFERRED_CHANNELS],
        help="preferred notification channel",
    )
    command(cmds, "list", cmd_users_list, "list users")
    password = command(
        cmds, "set-password", cmd_users_set_password,
        "set the password a person signs in to the web app with (their sessions end)",
    )  # fmt: skip
    password.add_argument("email", metavar="EMAIL")
    password.add_argument("--password", help="for scripts; asked for twice (hidden) when left out")
    invite = command(
        cmds, "invite", cmd_users_invite,
        "print a new one-time link for a person to set their password (INVITE_TTL_HOURS)",
    )  # fmt: skip
    invite.add_argument("email", metavar="EMAIL")
    pin = command(cmds, "set-pin", cmd_users_set_pin, "set the PIN that confirms changes by phone")
    pin.add_argument("email", metavar="EMAIL")
    pin.add_argument("--pin", help="4 to 8 digits; asked for (hidden) when left out")
    verify = command(
        cmds, "verify-phone", cmd_users_verify_phone, "send a code to a number, or vouch for it"
    )
    verify.add_argument("email", metavar="EMAIL")
    verify.add_argument("--phone", help="the number to send a code to (it becomes the user's)")
    verify.add_argument(
        "--trusted", action="store_true", help="mark the user's number verified without a code"
    )
    confirm = command(cmds, "confirm-phone", cmd_users_confirm_phone, "confirm a number's code")
    confirm.add_argument("email", metavar="EMAIL")
    confirm.add_argument("code", metavar="CODE")
    quiet = command(
        cmds, "quiet-hours", cmd_users_quiet_hours,
        "set a person's time zone and quiet hours (alert calls become texts then)",
    )  # fmt: skip
    quiet.add_argument("email")
    quiet.add_argument("--timezone", default="UTC", help="an IANA name, e.g. Europe/Paris")
    quiet.add_argument("--from", dest="start", default="", metavar="HH:MM")
    quiet.add_argument("--to", dest="end", default="", metavar="HH:MM")
