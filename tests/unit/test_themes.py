import shutil

import pytest

from app import create_app
from app.config import PROJECT_ROOT
from app.themes import ThemeError, ThemeRegistry, load_theme

COUNCILS = {
    "norfolk": ("Norfolk County Council", "E10000020", "county"),
    "breckland": ("Breckland Council", "E07000143", "district"),
    "broadland": ("Broadland District Council", "E07000144", "district"),
    "great-yarmouth": ("Great Yarmouth Borough Council", "E07000145", "district"),
    "west-norfolk": ("Borough Council of King's Lynn and West Norfolk", "E07000146", "district"),
    "north-norfolk": ("North Norfolk District Council", "E07000147", "district"),
    "norwich": ("Norwich City Council", "E07000148", "district"),
    "south-norfolk": ("South Norfolk Council", "E07000149", "district"),
}
THEMES = ThemeRegistry(PROJECT_ROOT / "themes", serve_localhost_subdomains=True)


def test_the_eight_norfolk_councils_are_themes():
    assert {theme.slug: (theme.name, theme.gss_code, theme.tier) for theme in THEMES} == COUNCILS


@pytest.mark.parametrize(
    ("host", "slug"),
    [
        ("south-norfolk.localhost:5000", "south-norfolk"),
        ("NORWICH.localhost", "norwich"),
        ("my.norfolk.gov.uk", "norfolk"),
        ("my.great-yarmouth.gov.uk.", "great-yarmouth"),
    ],
)
def test_the_host_picks_the_council(host, slug):
    assert THEMES.for_host(host).slug == slug


@pytest.mark.parametrize(
    "host", ["localhost", "evil.example", "norfolk.localhost.evil.example", "x.localhost"]
)
def test_an_unknown_host_picks_no_council(host):
    assert THEMES.for_host(host) is None


def test_localhost_subdomains_only_where_configured():
    production = ThemeRegistry(PROJECT_ROOT / "themes", serve_localhost_subdomains=False)
    assert production.for_host("norwich.localhost") is None
    assert production.for_host("my.norwich.gov.uk").slug == "norwich"


def relative_luminance(colour: str) -> float:
    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_ratio_matches_known_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", list(THEMES), ids=lambda theme: theme.slug)
def test_every_brand_text_colour_pair_meets_wcag_aa(theme):
    for use, (foreground, background) in theme.brand.text_pairs().items():
        ratio = contrast_ratio(foreground, background)
        assert ratio >= 4.5, f"{theme.slug}: {use} has contrast {ratio:.2f}, below 4.5"


def copy_theme(source_slug: str, themes_dir, new_slug: str, **replacements):
    target = themes_dir / new_slug
    shutil.copytree(PROJECT_ROOT / "themes" / source_slug, target)
    toml = (target / "theme.toml").read_text()
    for old, new in replacements.items():
        toml = toml.replace(old, new)
    (target / "theme.toml").write_text(toml)
    return target


def test_a_ninth_council_is_a_folder_and_no_code(tmp_path):
    themes_dir = tmp_path / "themes"
    shutil.copytree(PROJECT_ROOT / "themes", themes_dir)
    copy_theme(
        "norwich",
        themes_dir,
        "ipswich",
        **{
            "Norwich City Council": "Ipswich Borough Council",
            '"Norwich"': '"Ipswich"',
            "E07000148": "E07000202",
            "my.norwich.gov.uk": "my.ipswich.gov.uk",
        },
    )
    app = create_app("test", THEMES_DIR=themes_dir, INSTANCE_DIR=tmp_path)
    client = app.test_client()
    for host in ("ipswich.localhost", "my.ipswich.gov.uk"):
        page = client.get("/", headers={"Host": host}).get_data(as_text=True)
        assert "<title>Your council services – Ipswich Borough Council</title>" in page
    assert "Ipswich Borough Council" in client.get("/", headers={"Host": "localhost"}).get_data(as_text=True)


def test_a_theme_template_overrides_the_portal_template(tmp_path):
    themes_dir = tmp_path / "themes"
    shutil.copytree(PROJECT_ROOT / "themes", themes_dir)
    override = themes_dir / "breckland" / "templates" / "pages" / "cookies.html"
    override.parent.mkdir(parents=True)
    override.write_text(
        '{% extends "portal/pages/cookies.html" %}'
        '{% block content %}<p class="breckland-only">Breckland cookies</p>{{ super() }}{% endblock %}'
    )
    client = create_app("test", THEMES_DIR=themes_dir, INSTANCE_DIR=tmp_path).test_client()
    assert "breckland-only" in client.get("/cookies", headers={"Host": "breckland.localhost"}).get_data(
        as_text=True
    )
    assert "breckland-only" not in client.get("/cookies", headers={"Host": "norwich.localhost"}).get_data(
        as_text=True
    )


def test_a_theme_without_a_wordmark_is_refused(tmp_path):
    target = copy_theme("norwich", tmp_path, "nowordmark")
    (target / "wordmark.svg").unlink()
    with pytest.raises(ThemeError, match="wordmark"):
        load_theme(target)


def test_two_themes_claiming_one_domain_are_refused(tmp_path):
    copy_theme("norwich", tmp_path, "norwich")
    copy_theme("norwich", tmp_path, "norwich-copy", **{"E07000148": "E07999999"})
    with pytest.raises(ThemeError, match="claimed by"):
        ThemeRegistry(tmp_path, serve_localhost_subdomains=False)


def test_a_council_in_the_connectors_file_without_a_theme_stops_the_portal_starting(tmp_path):
    connectors_file = tmp_path / "connectors.toml"
    connectors_file.write_text(
        (PROJECT_ROOT / "connectors" / "sandbox.toml").read_text(encoding="utf-8")
        + '\n[councils.ipswich.bins]\nadapter = "bins_rest"\nbase_url = "http://127.0.0.1:9/bins"\n',
        encoding="utf-8",
    )
    unthemed = r"names councils with no theme in .*: ipswich\. Add a theme folder"
    with pytest.raises(RuntimeError, match=unthemed):
        create_app("test", CONNECTORS_FILE=connectors_file, INSTANCE_DIR=tmp_path)
    assert create_app("test", INSTANCE_DIR=tmp_path).extensions["themes"].get("norwich")
