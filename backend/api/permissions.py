"""The one permission mechanism: Strawberry permission classes on every field.

``IsAuthenticated`` checks the token; ``roles(...)`` builds a class admitting given roles.
Tenancy (a manager acting only on their own incubator) is checked by ``OwnIncubator`` from the
field's arguments.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry import Info
from strawberry.permission import BasePermission

from backend.core.errors import Forbidden, Unauthenticated
from backend.users.models import Role


class IsAuthenticated(BasePermission):
    message = "Sign in first."
    error_extensions: ClassVar[dict[str, object]] = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_user()  # raises Unauthenticated with the reason (expired, invalid)
        return True


_ROLE_PERMISSIONS: dict[frozenset[Role], type[BasePermission]] = {}


def roles(*allowed: Role) -> type[BasePermission]:
    """A permission class admitting only ``allowed`` roles (cached, so each set is one class)."""
    key = frozenset(allowed)
    if key not in _ROLE_PERMISSIONS:
        names = ", ".join(sorted(r.value for r in key))

        def has_permission(self: BasePermission, source: Any, info: Info, **kwargs: Any) -> bool:
            user = info.context.require_user()
            if user.role not in key:
                raise Forbidden(f"This needs one of the roles: {names}.", f"此操作需要以下角色之一：{names}。")
            return True

        _ROLE_PERMISSIONS[key] = type(f"Roles_{'_'.join(sorted(r.value for r in key))}", (BasePermission,),
                                      {"message": "Forbidden", "has_permission": has_permission,
                                       "error_extensions": {"code": "FORBIDDEN"}})
    return _ROLE_PERMISSIONS[key]


def incubator_argument(kwargs: dict[str, Any]) -> str | None:
    """The incubator an operation targets: an ``incubatorId``/``id`` argument or one inside ``input``."""
    for name in ("incubator_id", "incubatorId"):
        if kwargs.get(name):
            return str(kwargs[name])
    payload = kwargs.get("input")
    if payload is not None:
        value = getattr(payload, "incubator_id", None)
        if value:
            return str(value)
    return None


class OwnIncubator(BasePermission):
    """Staff roles pass; a manager passes only for their own incubator; others are refused."""

    message = "Forbidden"
    error_extensions: ClassVar[dict[str, object]] = {"code": "FORBIDDEN"}
    staff_roles: tuple[Role, ...] = (Role.admin, Role.evaluator)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        user = info.context.require_user()
        if user.role in self.staff_roles:
            return True
        if user.role is Role.manager:
            target = incubator_argument(kwargs) or (str(kwargs["id"]) if kwargs.get("id") else None)
            if target is not None and target == user.incubator_id:
                return True
            raise Forbidden("Managers may act only on their own incubator.", "管理员只能操作本孵化器的数据。")
        raise Forbidden()


def require_authenticated(info: Info) -> Any:
    user = info.context.user
    if user is None:
        raise info.context.auth_error or Unauthenticated()
    return user


class AdminOrOwnManager(OwnIncubator):
    """Admins, or the manager of the incubator named in the arguments."""

    staff_roles = (Role.admin,)
