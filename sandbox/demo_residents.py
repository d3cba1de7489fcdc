"""The made-up residents every part of the sandbox agrees on: the identity provider signs them in,
the back offices hold their bins, council tax, planning neighbours and cases.

Their addresses are in the sandbox gazetteer under the same UPRNs.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoResident:
    subject: str
    given_name: str
    family_name: str
    email: str
    password: str
    uprn: str
    address: tuple[str, ...]
    postcode: str
    district_gss: str
    story: str
    # The account at the district's council tax back office (sandbox/council_tax.py): with the postcode and
    # family name it verifies the resident's identity.
    council_tax_reference: str = ""
    # Whether, in their story, they have already told the portal their home address (`flask demo-residents`
    # gives them their portal account with it).
    home_chosen: bool = True

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


DEMO_RESIDENTS = (
    DemoResident(
        subject="demo-0001-priya-shah",
        given_name="Priya",
        family_name="Shah",
        email="priya.shah@example.com",
        password="demo-password-priya",
        uprn="2630112001",
        address=("12 Orchard Way", "Wymondham"),
        postcode="NR18 0SX",
        district_gss="E07000149",
        story="South Norfolk: her garden waste bin was missed last week; council tax up to date.",
        council_tax_reference="26012345",
    ),
    DemoResident(
        subject="demo-0002-tom-blake",
        given_name="Tom",
        family_name="Blake",
        email="tom.blake@example.com",
        password="demo-password-tom",
        uprn="100090912345",
        address=("41 Unthank Road", "Norwich"),
        postcode="NR2 2PE",
        district_gss="E07000148",
        story="Norwich: a neighbour applied to build a rear extension; his pothole report is open.",
        council_tax_reference="10045678",
    ),
    DemoResident(
        subject="demo-0003-margaret-hill",
        given_name="Margaret",
        family_name="Hill",
        email="margaret.hill@example.com",
        password="demo-password-margaret",
        uprn="100090201117",
        address=("7 Marine Parade", "Great Yarmouth"),
        postcode="NR30 2EN",
        district_gss="E07000145",
        story="Great Yarmouth: two council tax instalments behind (arrears); a fly-tipping case closed.",
        council_tax_reference="45023456",
    ),
    DemoResident(
        subject="demo-0004-david-okafor",
        given_name="David",
        family_name="Okafor",
        email="david.okafor@example.com",
        password="demo-password-david",
        uprn="10034821990",
        address=("3 Church Street", "Cromer"),
        postcode="NR27 9ES",
        district_gss="E07000147",
        story="North Norfolk: new resident, no home address chosen yet; reported a street light fault.",
        council_tax_reference="33076543",
        home_chosen=False,
    ),
)


def by_subject(subject: str) -> DemoResident | None:
    return next((resident for resident in DEMO_RESIDENTS if resident.subject == subject), None)
