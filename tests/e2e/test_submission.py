"""A manager submits a quarter: a client-side check and a server-side field error each appear next to
their field; fixing them stores the submission (and an open dashboard sees the ranking change)."""

from __future__ import annotations

import pytest

from backend.users.models import Role
from tests.e2e.conftest import assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


def fill_quarter(page, values: dict[str, str], default: str = "10") -> None:
    for input_id in page.eval_on_selector_all("#metrics-form input", "els => els.map(e => e.id)"):
        field = input_id.removeprefix("f-")
        page.fill(f"#{input_id}", values.get(field, default))


def test_bad_field_errors_show_next_to_the_field_then_the_fixed_quarter_is_stored(open_page, make_user,
                                                                                   make_incubator, live_server, tmp_path):
    incubator = make_incubator("Form Incubator", name_zh="填报测试孵化器")
    make_user("e2e-form-manager", Role.manager, incubator_id=incubator, display_name="填报员")
    page = open_page()
    sign_in(page, "e2e-form-manager")
    page.wait_for_selector("#f-tenants")
    quarter = page.input_value("#quarter")
    # grouped by dimension, with units and help
    legends = page.eval_on_selector_all("#metrics-form legend", "els => els.map(e => e.textContent)")
    assert "创业辅导" in legends and "投资加速" in legends
    assert "（家）" in page.inner_text("label[for=f-tenants]") or "(家)" in page.inner_text("label[for=f-tenants]")

    # 1. a client-side check (negative count) stops the submission before it is sent
    fill_quarter(page, {"tenants": "100", "staff": "20", "graduatedTenants": "-3"})
    page.click("#submit-final")
    page.wait_for_selector("#err-graduatedTenants:has-text('不能为负数')")
    assert page.get_attribute("#f-graduatedTenants", "aria-invalid") == "true"

    # 2. a consistency rule between fields (graduated ≤ tenants) is checked in the page too ...
    page.fill("#f-graduatedTenants", "300")
    page.click("#submit-final")
    page.wait_for_selector("#err-graduatedTenants:has-text('毕业企业数不能超过在孵企业数')")
    # ... and the server stays the authority: with the page's copy of the rules emptied, the request goes
    # out and the server's own message comes back next to the same field
    page.evaluate("import('/js/constraints.js').then(m => { m.CONSTRAINTS.length = 0; })")
    with page.expect_response(lambda r: r.url.endswith("/graphql") and r.request.method == "POST") as sent:
        page.click("#submit-final")
    assert sent.value.json()["errors"][0]["extensions"]["field"] == "metrics.graduatedTenants"
    page.wait_for_selector("#err-graduatedTenants:has-text('毕业企业数不能超过在孵企业数')")
    shot(page, "submission-field-error")
    assert_accessible(page)
    stored = live_server.run_coroutine(_revisions(live_server, incubator, quarter))
    assert stored == [], "a rejected submission stores nothing"

    # 3. fixed: stored as revision 1, shown in the history
    page.fill("#f-graduatedTenants", "12")
    page.click("#submit-final")
    page.wait_for_selector("#notice.notice-ok")
    assert "第 1 版" in page.inner_text("#notice")
    assert page.inner_text("#err-graduatedTenants") == ""
    page.wait_for_selector("#history-table tbody tr")
    assert "已提交" in page.inner_text("#history-table tbody tr")
    stored = live_server.run_coroutine(_revisions(live_server, incubator, quarter))
    assert stored == [(1, "submitted", 12.0)]
    shot(page, "submission-stored")

    # bulk upload: a file with one bad line is refused whole, with the line's error listed
    csv = tmp_path / "quarters.csv"
    csv.write_text("incubator_id,quarter,final,tenants,graduated_tenants\n"
                   f"{incubator},2026Q1,false,80,5\n{incubator},2026Q2,false,-4,5\n", encoding="utf-8")
    page.set_input_files("#upload-file", str(csv))
    page.click("#upload-button")
    page.wait_for_selector("#upload-errors li")
    errors = page.inner_text("#upload-errors")
    assert "第 3 行" in errors and "不能为负数" in errors, errors
    assert live_server.run_coroutine(_revisions(live_server, incubator, "2026Q1")) == []
    # the same file without the bad line is stored
    csv.write_text(f"incubator_id,quarter,final,tenants,graduated_tenants\n{incubator},2026Q1,false,80,5\n",
                   encoding="utf-8")
    page.set_input_files("#upload-file", str(csv))
    page.click("#upload-button")
    page.wait_for_selector("#upload-ok")
    assert live_server.run_coroutine(_revisions(live_server, incubator, "2026Q1")) == [(1, "draft", 5.0)]
    shot(page, "submission-upload")
    assert not page.errors


async def _revisions(live_server, incubator: str, quarter: str):
    from backend.submissions.service import submission_service

    rows, _ = await submission_service(live_server.state).revisions(incubator, quarter, 10, None)
    return [(r.revision, r.status.value, r.metrics.get("graduated_tenants")) for r in rows]
