"""The insights in Chromium on the staff host: the supervisor opens them for Norwich and for all councils
side by side, by keyboard alone, and meets a date error, then approves a resident's comment; each page is
scanned by axe, tabbed through with visible focus, and fits 320 CSS pixels and 200% zoom
(tests.browser.test_staff.examine)."""

from __future__ import annotations

from playwright.sync_api import expect

from app.extensions import db
from app.models.reports import Feedback, FeedbackComment, Report
from tests.browser.test_staff import (  # noqa: F401 - fixtures
    SUPERVISOR,
    examine,
    javascript,
    staff_page,
    staff_portal,
    staff_sign_in,
    submit,
)


def test_the_insights_by_keyboard(browser, browser_context_args, staff_portal, javascript):  # noqa: F811
    with staff_portal.app.app_context():
        for index, (council, kind) in enumerate(
            [("norwich", "missed-bin")] * 6
            + [("norwich", "fly-tipping")] * 2
            + [("breckland", "missed-bin")] * 5
        ):
            db.session.add(
                Report(
                    report_type=kind,
                    council_slug=council,
                    service_code=kind,
                    made_on=council,
                    idempotency_key=f"insights-browser-{javascript}-{index}",
                )
            )
        db.session.flush()
        db.session.add(
            Feedback(
                report_id=db.session.scalar(
                    db.select(Report.id).filter_by(idempotency_key=f"insights-browser-{javascript}-0")
                ),
                rating="satisfied",
                comment=f"Easy to report ({javascript})",
                comment_status=FeedbackComment.PENDING,
            )
        )
        db.session.commit()
    page = staff_page(browser, browser_context_args, javascript)
    staff_sign_in(page, staff_portal, SUPERVISOR)
    page.locator("input[name=council][value=norwich]").check()
    submit(page)
    page.get_by_role("link", name="Insights").click()
    expect(page.locator("table caption").first).to_have_text("Reports by type")
    expect(page.get_by_role("img", name="Reports by type")).to_be_visible()
    for title in (
        "Time to close by type",
        "Said not fixed after closing",
        "Back-office availability",
        "Sign-ins and active residents",
        "Signed in or as a guest",
        "Feedback scores",
        "Share of platform use by month",
    ):
        expect(page.get_by_role("heading", name=title, exact=True)).to_have_count(1)
    expect(page.get_by_role("img", name="Feedback scores")).to_be_visible()
    examine(page, "insights for Norwich")

    page.locator("#council").focus()
    page.locator("#council").select_option("all")
    page.get_by_role("button", name="Show").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("table").first.locator("thead th")).to_have_count(9)
    examine(page, "insights for all councils")

    page.locator("#first-day").fill("31")
    page.locator("#first-month").fill("2")
    page.get_by_role("button", name="Show").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("From must be a real date")
    examine(page, "insights with a date error")

    page.get_by_role("link", name="Residents' comments").click()
    expect(page.locator("li:has(button) blockquote")).to_have_text(f"Easy to report ({javascript})")
    examine(page, "residents' comments waiting to be read")
    page.get_by_role("button", name="Approve the comment on").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Comment approved")
    expect(page.get_by_text("No comments are waiting.")).to_be_visible()
    expect(page.locator("blockquote", has_text=f"Easy to report ({javascript})")).to_be_visible()
    examine(page, "residents' comments approved")
