"""schemathesis hooks for .ci/schemathesis (loaded with SCHEMATHESIS_HOOKS).

`positive_data_acceptance` expects every schema-valid request to be
accepted. The committed document states every shape the service checks
(types, enums, patterns, lengths, ranges), so a schema-valid request that
is refused for its *shape* is a finding. What a schema cannot state is
listed below, each case with its reason; a refusal is forgiven only when
every field error of the answer (or its detail, when it has none) is one
of them. Nothing else is: a new kind of refusal fails the run.
"""

import json
import re

import schemathesis
from schemathesis.specs.openapi import checks as openapi_checks

# (status, operation path or None for any, pattern of the refusal, reason)
STATE_AND_CROSS_FIELD_RULES = [
    # State: what exists, and which version is current.
    (412, None, r".", "If-Match names a version; which one is current is state, not shape"),
    (422, None, r"no \w+ has (id|code)|no such (region|pairing|plan)|is not a category's code",
     "a reference to a row that does not exist: a schema cannot say which ids exist (a path id is 404)"),
    (422, None, r"^cursor: not a cursor this service gave out$|^after: must be a cursor of the change feed",
     "a cursor is an opaque token the service issued; a string of its alphabet is not one"),
    (422, "/api/v1/me/password", r"^current_password: is not your current password$",
     "whether a password is the current one is state"),
    (400, "/api/v1/auth/token", r"^(invalid_client|invalid_grant|invalid_scope):|^invalid_request: send client_id and client_secret$",
     "OAuth 2.0 (RFC 6749 section 5.2) answers unknown credentials with 400; the schema promises the shape, not which credentials exist; they come in the form or as HTTP Basic authentication, one of two places"),
    (422, None, r"^Idempotency-Key: this key was used for another request", "a key already used is state"),
    (415, "/api/v1/", r"^the file is .*(not a document|not accepted)",
     "which kinds of file are accepted is read from the content; a schema describes bytes only"),
    (422, "/api/v1/imports/", r"the import failed; nothing was written",
     "a file's content (a workbook that is not a task list) is not described by the schema of the form"),
    # Rules between two fields or two parameters: OpenAPI cannot state
    # them between query parameters, and the bodies keep each field a plain
    # optional property so that generated clients stay usable.
    (422, None, r"give either \w+ or \w+|give period or as_of, not both|ask for a region's bulletin or a pairing's, not both",
     "exactly one of two fields or parameters"),
    (422, None, r"^role: filter by role together with unit_id$", "a parameter that needs another"),
    (422, None, r"is not in the year -?\d+ asked for$", "a period must fall in the year also given"),
    (422, "/api/v1/statistics/series", r"^(metric: name the metric|year: name the year|period: a series covers)",
     "the series reads parameters the shared statistics query leaves optional"),
    (422, None, r"a region cannot help itself|a co-helper is neither|the plan is not the pairing's|a development zone has no", "a rule between two fields of a region or pairing"),
    (422, None, r"^unit_id: an? \w+ belongs to (no unit|a unit)$|^role: machines are integration clients, not users$",
     "a user's unit depends on the user's role"),
    (422, None, r"^member_ids: a group needs a rule or at least one member$", "a group needs a rule or members: one of two fields"),
    (422, None, r"is not among the client's scopes$", "default scopes must be among the scopes given beside them"),
    (422, None, r"^to: must not be before `from`$", "a range's end must not come before its start"),
    (422, "/api/v1/me/password", r"^new_password: must differ from the current password$", "the new password against the current one"),
    (422, "/api/v1/metrics", r"^aggregation: a metric in % is a share or a growth rate", "a metric's aggregation depends on its unit"),
    (422, None, r"^synonyms\[\d+\]: given twice$",
     "the same word twice, spaces aside: utoipa 6 cannot write uniqueItems, and trimmed equality is beyond it"),
    (422, None, r"^scope: the client does not hold the scope `write`", "whether a client holds `write` is state"),
    (422, None, r"^external_id: names another external id than the path",
     "a body's external_id must repeat the path's (PUT .../by-external-id/{external_id}): a path parameter against a body field"),
    (422, None, r"a plan's year does not change|a task stays in its plan|a report stays|a project stays its pairing's",
     "a row found by its external id keeps its plan, year, task, unit, period and pairing: what it holds is state"),
    (422, "/api/v1/webhooks", r"^url: names a private, loopback or link-local address",
     "whether private addresses are allowed is a deployment's setting (XIETONG_WEBHOOK_ALLOW_PRIVATE)"),
]


def _answer(response):
    try:
        return json.loads(response.content or b"null") or {}
    except ValueError:
        return {}


def _refusals(answer):
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if errors:
        return [f"{e.get('field')}: {e.get('message')}" for e in errors]
    if isinstance(answer, dict) and "error" in answer:
        return [f"{answer['error']}: {answer.get('error_description', '')}"]
    return [answer.get("detail", "") if isinstance(answer, dict) else ""]


def _forgiven(status, path, refusal):
    return any(
        status == rule_status and (rule_path is None or path.startswith(rule_path)) and re.search(pattern, refusal)
        for rule_status, rule_path, pattern, _reason in STATE_AND_CROSS_FIELD_RULES
    )


def _all_positive(case):
    # schemathesis 4.32.5 labels a case positive when its body is, even if
    # it drew a negative header (an `If-Match: 0`): such a case is not
    # schema-valid, and this check does not judge it.
    components = getattr(case.meta, "components", None) or {}
    return all(
        getattr(getattr(c, "mode", None), "is_positive", True) for c in components.values()
    )


@schemathesis.check
def positive_data_acceptance_stated(ctx, response, case):
    """positive_data_acceptance, with the refusals a schema cannot state."""
    if case.meta is None or not _all_positive(case):
        return None
    # A stateful link that filled a path id with a response's null
    # (`/plans/None/progress`) sent no schema-valid request.
    if any(value is None for value in (case.path_parameters or {}).values()) or "/None" in case.formatted_path:
        return None
    # Nor did one whose link found nothing to fill a required query
    # parameter with (`/events/export` without `pairing_id`, after an empty
    # list of webhooks): schemathesis 4.32.5 drops the parameter and still
    # labels the case positive.
    query = case.query or {}
    if any(p.is_required and query.get(p.name) is None for p in case.operation.query):
        return None
    try:
        return openapi_checks.positive_data_acceptance(ctx, response, case)
    except Exception:
        path = case.operation.path
        refusals = _refusals(_answer(response))
        if refusals and all(_forgiven(response.status_code, path, r) for r in refusals):
            return None
        raise
