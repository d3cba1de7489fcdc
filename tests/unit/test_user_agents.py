"""The browser-and-system summary a resident sees on their list of sessions."""

import pytest

from app.user_agents import describe_device

EDGE_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 Edg/131.0.0.0"
)
SAFARI_ON_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Safari/605.1.15"
)
CHROME_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
)
SAMSUNG_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"
)
FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (EDGE_ON_WINDOWS, "Edge on Windows"),
        (SAFARI_ON_MAC, "Safari on Mac"),
        (CHROME_ON_IPHONE, "Chrome on iPhone"),
        (SAMSUNG_ON_ANDROID, "Samsung Internet on Android"),
        (FIREFOX_ON_LINUX, "Firefox on Linux"),
        ("curl/8.5.0", None),
        ("", None),
        (None, None),
    ],
)
def test_the_summary_names_the_browser_and_system(user_agent, summary):
    assert describe_device(user_agent) == summary
