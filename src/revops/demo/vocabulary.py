"""The words of the demo company's world: regions, countries, industries, names, products,
stages. Plain constants; the modules that simulate behaviour attach numbers to them."""

from __future__ import annotations

REGIONS = ("NA", "EMEA", "APAC")
SEGMENTS = ("enterprise", "mid_market", "smb")

# country, region, share of leads, legal suffixes, tld
COUNTRIES = (
    ("US", "NA", 0.46, ("Inc", "Inc.", "LLC", "Corp"), "com"),
    ("CA", "NA", 0.07, ("Inc", "Ltd"), "ca"),
    ("GB", "EMEA", 0.11, ("Ltd", "Limited", "PLC"), "co.uk"),
    ("DE", "EMEA", 0.07, ("GmbH", "AG"), "de"),
    ("FR", "EMEA", 0.05, ("SAS", "SA"), "fr"),
    ("NL", "EMEA", 0.03, ("BV",), "nl"),
    ("SE", "EMEA", 0.02, ("AB",), "se"),
    ("ES", "EMEA", 0.02, ("SL", "SA"), "es"),
    ("AU", "APAC", 0.06, ("Pty Ltd",), "com.au"),
    ("SG", "APAC", 0.03, ("Pte Ltd",), "sg"),
    ("JP", "APAC", 0.03, ("KK",), "jp"),
    ("IN", "APAC", 0.04, ("Pvt Ltd",), "in"),
    ("NZ", "APAC", 0.01, ("Ltd",), "co.nz"),
)
COUNTRY_CODES = tuple(c[0] for c in COUNTRIES)
COUNTRY_REGION = tuple(REGIONS.index(c[1]) for c in COUNTRIES)

# IANA zone and its UTC offset in hours (standard time; good enough for working hours)
TIMEZONES = {
    "NA": (("America/New_York", -5), ("America/Chicago", -6), ("America/Los_Angeles", -8)),
    "EMEA": (("Europe/London", 0), ("Europe/Berlin", 1), ("Europe/Paris", 1)),
    "APAC": (("Australia/Sydney", 10), ("Asia/Singapore", 8), ("Asia/Tokyo", 9)),
}

# industry, share, fit with the product (adds to lead quality)
INDUSTRIES = (
    ("software", 0.22, 0.6),
    ("fintech", 0.09, 0.5),
    ("financial_services", 0.09, 0.1),
    ("healthcare", 0.09, -0.2),
    ("manufacturing", 0.10, -0.3),
    ("retail", 0.09, -0.2),
    ("education", 0.06, -0.5),
    ("media", 0.07, 0.0),
    ("professional_services", 0.10, 0.2),
    ("logistics", 0.05, -0.1),
    ("government", 0.04, -0.7),
)
INDUSTRY_NAMES = tuple(i[0] for i in INDUSTRIES)

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily "
    "Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah "
    "Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Amy "
    "Jacob Kathleen Gary Angela Nicholas Shirley Eric Brenda Jonathan Emma Stephen Anna "
    "Larry Pamela Justin Nicole Scott Samantha Brandon Katherine Benjamin Christine Samuel "
    "Helen Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack "
    "Olivia Dennis Heather Jerry Diane Tyler Julie Aaron Joyce Jose Victoria Adam Ruth "
    "Nathan Virginia Henry Lauren Zachary Kelly Douglas Christina Peter Joan Kyle Evelyn "
    "Noah Judith Ethan Andrea Jeremy Hannah Walter Megan Christian Cheryl Keith Jacqueline "
    "Roger Martha Terry Madison Austin Teresa Sean Gloria Gerald Sara Carl Janice Harold "
    "Ann Dylan Kathryn Arthur Abigail Lawrence Sophia Jordan Frances Jesse Jean Bryan Alice "
    "Hiroshi Yuki Priya Arjun Lars Ingrid Pierre Camille Hans Greta Mateo Lucia Wei Mei"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed "
    "Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
    "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales "
    "Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar "
    "Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson "
    "Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes "
    "Mueller Schmidt Schneider Fischer Weber Dubois Laurent Lefevre Tanaka Suzuki Sato "
    "Watanabe Sharma Gupta Singh Iyer Andersson Johansson Larsson OConnor Byrne Walsh"
).split()
NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Richard": "Rick", "James": "Jim", "Michael": "Mike",
    "Elizabeth": "Liz", "Jennifer": "Jen", "Katherine": "Kate", "Christopher": "Chris",
    "Joseph": "Joe", "Thomas": "Tom", "Daniel": "Dan", "Matthew": "Matt", "Anthony": "Tony",
    "Steven": "Steve", "Andrew": "Andy", "Kimberly": "Kim", "Rebecca": "Becky",
    "Nicholas": "Nick", "Samuel": "Sam", "Alexander": "Alex", "Jonathan": "Jon",
    "Margaret": "Maggie", "Patricia": "Pat", "Benjamin": "Ben", "Gregory": "Greg",
    "Timothy": "Tim", "Victoria": "Vicky", "Zachary": "Zach", "Abigail": "Abby",
}

# (title, seniority 0 junior .. 3 exec, share)
TITLES = (
    ("Analyst", 0, 0.12), ("Specialist", 0, 0.10), ("Coordinator", 0, 0.07),
    ("Manager", 1, 0.15), ("Senior Manager", 1, 0.09), ("Team Lead", 1, 0.06),
    ("Director", 2, 0.12), ("Senior Director", 2, 0.05), ("Head of Operations", 2, 0.06),
    ("VP Sales", 3, 0.05), ("VP Operations", 3, 0.05), ("Chief Revenue Officer", 3, 0.03),
    ("CFO", 3, 0.025), ("CEO", 3, 0.025),
)

COMPANY_ADJ = (
    "Blue Red Green Silver Golden Bright Swift Quiet Bold Clear Deep High North South East "
    "West Prime True Rapid Smart Open Solid Vivid Lucky Iron Stone Cloud Sky Ocean River "
    "Summit Peak Cedar Maple Pine Oak Birch Willow Aspen Alder Falcon Eagle Hawk Raven Fox "
    "Wolf Bear Lion Tiger Orca Atlas Apex Nova Vertex Vector Quantum Fusion Pulse Spark "
    "Signal Beacon Harbor Bridge Canyon Meadow Prairie Glacier Ember Flint Copper Cobalt "
    "Crimson Indigo Amber Jade Onyx Ruby Sapphire Scarlet Teal Violet Arctic Polar Lunar "
    "Solar Stellar Orbit Comet Meteor Zenith Horizon Legacy Pioneer Frontier Keystone "
    "Cornerstone Landmark Granite Marble Crystal Velvet Silk Linen Cotton Harvest Orchard "
    "Evergreen Riverside Lakeside Hillside Seaside Bayview Parkside Westgate Eastgate"
).split()
COMPANY_NOUN = (
    "Data Logic Works Labs Point Path Gate Line Stream Wave Field Forge Mill Yard Port Bay "
    "Ridge Crest Rock Stone Leaf Root Seed Grove Wood Brook Lake Shore Coast Isle Star Sun "
    "Moon Light Fire Wind Rain Snow Frost Storm Thunder Bolt Arrow Shield Crown Key Lock "
    "Tower Castle Hall House Home Nest Hive Den Camp Base Hub Core Node Link Loop Grid Mesh "
    "Net Web Cell Block Chain Frame Form Shape Scale Sense Mind Wise Craft Made Built Set "
    "Spring Fall Dawn Dusk Noon Tide Current Flow Drift Sail Anchor Compass Map Quest Trail "
    "Track Road Way Route Step Leap Jump Lift Rise Climb Reach Span Arc Curve Angle Edge "
    "Side Front View Vista Scope Lens Focus Sight Vision Insight Mark Sign Note Word Voice"
).split()
COMPANY_TAIL = (
    "Analytics Software Systems Technologies Solutions Networks Labs Health Capital Partners "
    "Logistics Foods Retail Media Studios Energy Robotics Security Payments Learning Bio "
    "Pharma Motors Industries Consulting Group Digital Cloud AI Devices Materials Supply "
    "Insurance Lending Travel Mobility Commerce Marketing Interactive Games Hospitality "
    "Construction Realty Aerospace Marine Agritech Telecom Wireless Semiconductor Fabrication "
    "Outfitters Apparel Brands Kitchens Clinics Dental Vision Legal Advisory Ventures"
).split()

PRODUCTS = ("core_platform", "analytics_addon", "automation_addon", "enterprise_suite")
PLANS = ("starter", "growth", "enterprise")

STAGES = ("discovery", "qualification", "solution", "proposal", "negotiation",
          "closed_won", "closed_lost")
OPEN_STAGES = 5
WON, LOST = 5, 6
STAGE_PROBABILITY = (0.10, 0.20, 0.40, 0.60, 0.80, 1.0, 0.0)
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
OPP_TYPES = ("new_business", "expansion", "renewal")
LOST_REASONS = ("no_decision", "price", "competitor", "timing", "no_budget", "product_fit",
                "went_dark")
NEXT_STEPS = ("Schedule demo", "Send proposal", "Security review", "Pricing call",
              "Legal redlines", "Champion intro to economic buyer", "Technical deep dive",
              "Follow up on pilot", "Procurement paperwork", "Exec sponsor meeting")

LIFECYCLE = ("new", "mql", "sql", "sal", "opportunity", "customer", "recycled", "disqualified")
