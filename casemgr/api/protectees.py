"""Protectees: the people under protection. Private details only for roles that may see them."""

from __future__ import annotations

from dataclasses import fields, replace

from pydantic import BaseModel, Field
from sqlalchemy import select

from casemgr.api.blueprint import api
from casemgr.api.common import caller
from casemgr.api.pagination import paginate
from casemgr.api.schemas import Body, ListQuery, Page, UTCTime, unchanged_when_absent
from casemgr.auth.current import request_actor
from casemgr.auth.models import User
from casemgr.auth.permissions import authorize, can
from casemgr.errors import Conflict, PermissionDenied
from casemgr.extensions import db
from casemgr.people.models import Protectee
from casemgr.people.protectees import (
    ProtecteeDetails,
    all_staff,
    create_protectee,
    get_protectee,
    set_archived,
    update_protectee,
)

# The API's `private` object and the stored fields behind it.
PRIVATE_PARTS = {
    "home_address": "private_home_address",
    "phone": "private_phone",
    "family": "private_family",
}


class PrivateIn(Body):
    home_address: str = unchanged_when_absent()
    phone: str = unchanged_when_absent()
    family: str = unchanged_when_absent()


class ProtecteeCreate(Body):
    name: str
    title: str = ""
    department: str = ""
    usual_locations: str = ""
    notes: str = ""
    all_staff: bool = Field(default=False, description="the one protectee for the workforce")
    private: PrivateIn | None = None


class ProtecteePatch(Body):
    name: str = unchanged_when_absent()
    title: str = unchanged_when_absent()
    department: str = unchanged_when_absent()
    usual_locations: str = unchanged_when_absent()
    notes: str = unchanged_when_absent()
    archived: bool = unchanged_when_absent()
    private: PrivateIn = unchanged_when_absent(description="only the parts sent change")


class PrivateOut(BaseModel):
    home_address: str
    phone: str
    family: str


class ProtecteeOut(BaseModel):
    id: int
    name: str
    title: str
    department: str
    usual_locations: str
    notes: str
    all_staff: bool
    archived_at: UTCTime | None
    created_at: UTCTime
    updated_at: UTCTime
    private: PrivateOut | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="only for roles that may see private details",
    )


class ProtecteeQuery(ListQuery):
    archived: bool = Field(default=False, description="include archived protectees")


_PUBLIC_FIELDS = ("name", "title", "department", "usual_locations", "notes")


def _protectee_out(protectee: Protectee, user: User) -> ProtecteeOut:
    db.session.flush()
    private = None
    if can(user, "protectee.private"):
        private = PrivateOut(
            **{part: getattr(protectee, stored) for part, stored in PRIVATE_PARTS.items()}
        )
    return ProtecteeOut(
        **{name: getattr(protectee, name) for name in _PUBLIC_FIELDS},
        id=protectee.id,
        all_staff=protectee.all_staff,
        archived_at=protectee.archived_at,
        created_at=protectee.created_at,
        updated_at=protectee.updated_at,
        private=private,
    )


def _private_changes(private: PrivateIn | None, user: User) -> dict[str, str]:
    if private is None:
        return {}
    if not can(user, "protectee.private"):
        raise PermissionDenied("Your role may not see or change private details.")
    return {PRIVATE_PARTS[part]: getattr(private, part) for part in private.model_fields_set}


@api.route(
    "/protectees",
    "GET",
    summary="Protectees, in the order they were added",
    tag="people",
    query=ProtecteeQuery,
    response=Page[ProtecteeOut],
)
def list_protectees(query: ProtecteeQuery) -> Page[ProtecteeOut]:
    user = caller()
    authorize(user, "read")
    statement = select(Protectee)
    if not query.archived:
        statement = statement.where(Protectee.archived_at.is_(None))
    protectees, cursor = paginate(db.session, statement, [Protectee.id], query)
    return Page[ProtecteeOut](
        items=[_protectee_out(protectee, user) for protectee in protectees], next=cursor
    )


@api.route(
    "/protectees",
    "POST",
    summary="Add a protectee",
    tag="people",
    body=ProtecteeCreate,
    response=ProtecteeOut,
    status=201,
    errors=(403, 409),
)
def add_protectee(body: ProtecteeCreate) -> ProtecteeOut:
    user = caller()
    authorize(user, "protectee.manage")
    details = ProtecteeDetails(
        **{name: getattr(body, name) for name in _PUBLIC_FIELDS},
        **_private_changes(body.private, user),
    )
    if not body.all_staff:
        return _protectee_out(create_protectee(db.session, request_actor(), details), user)
    if db.session.scalar(select(Protectee.id).where(Protectee.all_staff)) is not None:
        raise Conflict("There is already an all-staff protectee; edit that one instead.")
    protectee = all_staff(db.session, request_actor())
    update_protectee(db.session, request_actor(), protectee, details)
    return _protectee_out(protectee, user)


@api.route(
    "/protectees/<int:protectee_id>",
    "GET",
    summary="One protectee",
    tag="people",
    response=ProtecteeOut,
    errors=(404,),
)
def get_one_protectee(protectee_id: int) -> ProtecteeOut:
    user = caller()
    authorize(user, "read")
    return _protectee_out(get_protectee(db.session, protectee_id), user)


@api.route(
    "/protectees/<int:protectee_id>",
    "PATCH",
    summary="Edit, archive or restore a protectee",
    tag="people",
    body=ProtecteePatch,
    response=ProtecteeOut,
    errors=(403, 404),
)
def edit_protectee(protectee_id: int, body: ProtecteePatch) -> ProtecteeOut:
    user = caller()
    authorize(user, "protectee.manage")
    protectee = get_protectee(db.session, protectee_id)
    given = body.model_fields_set
    stored = ProtecteeDetails(
        **{field.name: getattr(protectee, field.name) for field in fields(ProtecteeDetails)}
    )
    changes = {name: getattr(body, name) for name in given & set(_PUBLIC_FIELDS)}
    changes |= _private_changes(body.private if "private" in given else None, user)
    update_protectee(db.session, request_actor(), protectee, replace(stored, **changes))
    if "archived" in given:
        set_archived(db.session, request_actor(), protectee, body.archived)
    return _protectee_out(protectee, user)
