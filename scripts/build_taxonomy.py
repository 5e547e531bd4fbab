"""Generate ``src/mediaquery/analyzers/data/imagenet_taxonomy.json``.

The labels analyzer scores the 1000 ImageNet-1k classes.  People search for "dog" or
"cup", not for "n02106662", so this script gives every class a readable name, aliases
and a short chain of searchable parent categories (German Shepherd -> Dog, Canine,
Mammal, Animal).  The chains come from the WordNet 3.0 hypernym graph, filtered through
the curated ALLOW list below: abstract or jargon nodes (working dog, placental,
chordate, whole, entity, ...) are skipped.

The everyday labels people search with (Outdoors, Sea, Beach, Snow, Tree, Cake, ...) are
added from the reviewed rules in ``src/mediaquery/analyzers/data/everyday.tsv`` (see
``taxonomy_everyday.py``).  The inputs are dev-time only; the runtime reads just the JSON.

Regenerate it (from the repository root) with::

    pip download --no-deps timm -d /tmp/timmwheel   # only the wheel's data files are read
    apt-get install -y wordnet-base                  # WordNet 3.0 in /usr/share/wordnet
    python scripts/build_taxonomy.py --timm-wheel /tmp/timmwheel/timm-*.whl

``--timm-wheel`` defaults to the newest /tmp/timmwheel/timm-*.whl; ``--wordnet-dir``
(default /usr/share/wordnet) and ``--out`` (default: the JSON file above) can be
changed; ``--report`` prints every class's chain and the classes left without a parent.
The output is deterministic: the same inputs give a byte-identical file (the shipped
one was built from timm 1.0.31, recorded under "source").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from taxonomy_everyday import apply_everyday, dedupe, read_everyday

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "src/mediaquery/analyzers/data/imagenet_taxonomy.json"
SYNSETS_TXT = "timm/data/_info/imagenet_synsets.txt"
LEMMAS_TXT = "timm/data/_info/imagenet_synset_to_lemma.txt"

# Searchable categories: (WordNet noun offset, a lemma of that synset as a typo guard,
# display name).  Several synsets may share a display name; they become one node.
ALLOW: tuple[tuple[str, str, str], ...] = (
    # animals
    ("00015388", "animal", "Animal"),
    ("01861778", "mammal", "Mammal"),
    ("01503061", "bird", "Bird"),
    ("02512053", "fish", "Fish"),
    ("01482330", "shark", "Shark"),
    ("01661091", "reptile", "Reptile"),
    ("01726692", "snake", "Snake"),
    ("01674464", "lizard", "Lizard"),
    ("01662784", "turtle", "Turtle"),
    ("01696633", "crocodilian", "Crocodile"),
    ("01699831", "dinosaur", "Dinosaur"),
    ("01627424", "amphibian", "Amphibian"),
    ("01639765", "frog", "Frog"),
    ("01629276", "salamander", "Salamander"),
    ("01905661", "invertebrate", "Invertebrate"),
    ("02159955", "insect", "Insect"),
    ("02164464", "beetle", "Beetle"),
    ("02274259", "butterfly", "Butterfly"),
    ("01772222", "spider", "Spider"),
    ("01974773", "crustacean", "Crustacean"),
    ("01976957", "crab", "Crab"),
    ("01982650", "lobster", "Lobster"),
    ("01940736", "mollusk", "Mollusk"),
    ("01922303", "worm", "Worm"),
    ("02469914", "primate", "Primate"),
    ("02484322", "monkey", "Monkey"),
    ("02470325", "ape", "Ape"),
    ("02496913", "lemur", "Lemur"),
    ("02083346", "canine", "Canine"),
    ("02084071", "dog", "Dog"),
    ("02092468", "terrier", "Terrier"),
    ("02099029", "retriever", "Retriever"),
    ("02101108", "spaniel", "Spaniel"),
    ("02113335", "poodle", "Poodle"),
    ("02087551", "hound", "Hound"),
    ("02114100", "wolf", "Wolf"),
    ("02118333", "fox", "Fox"),
    ("02120997", "feline", "Cat"),
    ("02127808", "big_cat", "Big Cat"),
    ("02131653", "bear", "Bear"),
    ("02329401", "rodent", "Rodent"),
    ("02323902", "leporid", "Rabbit"),
    ("02402425", "cattle", "Cattle"),
    ("02419796", "antelope", "Antelope"),
    ("02411705", "sheep", "Sheep"),
    ("02416519", "goat", "Goat"),
    ("02395003", "swine", "Pig"),
    ("02374451", "horse", "Horse"),
    ("02437136", "camel", "Camel"),
    ("02503517", "elephant", "Elephant"),
    ("02062017", "aquatic_mammal", "Marine Mammal"),
    ("02062744", "whale", "Whale"),
    ("02076196", "seal", "Seal"),
    ("01874434", "marsupial", "Marsupial"),
    ("01816887", "parrot", "Parrot"),
    ("01604330", "bird_of_prey", "Bird of Prey"),
    ("01613294", "eagle", "Eagle"),
    ("01621127", "owl", "Owl"),
    ("01846331", "duck", "Duck"),
    ("01858441", "swan", "Swan"),
    ("02055803", "penguin", "Penguin"),
    ("02008041", "heron", "Heron"),
    ("02002075", "stork", "Stork"),
    ("01529672", "finch", "Finch"),
    ("01791625", "chicken", "Chicken"),
    # plants and fungi
    ("00017222", "plant", "Plant"),
    ("11669921", "flower", "Flower"),
    ("12992868", "fungus", "Fungus"),
    ("13135832", "seed", "Seed"),
    # food and drink
    ("00021265", "food", "Food"),
    ("07555863", "food", "Food"),
    ("07705931", "edible_fruit", "Fruit"),
    ("07707451", "vegetable", "Vegetable"),
    ("07715561", "squash", "Squash"),
    ("07557434", "dish", "Dish"),
    ("07609840", "dessert", "Dessert"),
    ("07679356", "bread", "Bread"),
    ("07695965", "sandwich", "Sandwich"),
    ("07697100", "hamburger", "Burger"),
    ("07583197", "soup", "Soup"),
    ("07863374", "pasta", "Pasta"),
    ("07829412", "sauce", "Sauce"),
    ("07810907", "condiment", "Sauce"),
    ("07881800", "beverage", "Drink"),
    ("07884567", "alcohol", "Alcohol"),
    ("07891726", "wine", "Wine"),
    ("07929519", "coffee", "Coffee"),
    # vehicles
    ("04524313", "vehicle", "Vehicle"),
    ("02958343", "car", "Car"),
    ("04490091", "truck", "Truck"),
    ("04520170", "van", "Van"),
    ("02924116", "bus", "Bus"),
    ("04019101", "public_transport", "Public Transport"),
    ("03790512", "motorcycle", "Motorcycle"),
    ("02834778", "bicycle", "Bicycle"),
    ("04468005", "train", "Train"),
    ("03684823", "locomotive", "Locomotive"),
    ("02686568", "aircraft", "Aircraft"),
    ("02691156", "airplane", "Airplane"),
    ("04264914", "spacecraft", "Spacecraft"),
    ("04099429", "rocket", "Rocket"),
    ("04530566", "watercraft", "Watercraft"),
    ("02858304", "boat", "Boat"),
    ("04194289", "ship", "Ship"),
    ("04128837", "sailing_vessel", "Sailboat"),
    ("03764276", "military_vehicle", "Military Vehicle"),
    ("04235291", "sled", "Sled"),
    ("02970849", "cart", "Cart"),
    ("03484083", "handcart", "Cart"),
    # furniture and household
    ("03405725", "furniture", "Furniture"),
    ("04161981", "seat", "Seat"),
    ("03001627", "chair", "Chair"),
    ("04256520", "sofa", "Sofa"),
    ("04379243", "table", "Table"),
    ("04379964", "table", "Table"),
    ("02818832", "bed", "Bed"),
    ("02933112", "cabinet", "Cabinet"),
    ("03151077", "curtain", "Curtain"),
    ("03366823", "floor_cover", "Rug"),
    ("03151500", "cushion", "Cushion"),
    ("02820210", "bedclothes", "Bedding"),
    ("03969259", "plumbing_fixture", "Plumbing Fixture"),
    ("03636248", "lamp", "Lamp"),
    ("04263760", "source_of_illumination", "Lighting"),
    ("03528263", "home_appliance", "Appliance"),
    ("03620052", "kitchen_appliance", "Kitchen Appliance"),
    # containers and kitchenware
    ("03094503", "container", "Container"),
    ("02876657", "bottle", "Bottle"),
    ("02883344", "box", "Box"),
    ("02801938", "basket", "Basket"),
    ("02773037", "bag", "Bag"),
    ("02795169", "barrel", "Barrel"),
    ("02946921", "can", "Can"),
    ("02880940", "bowl", "Bowl"),
    ("03147509", "cup", "Cup"),
    ("03797390", "mug", "Mug"),
    ("03438257", "drinking_glass", "Glass"),
    ("04381994", "tableware", "Tableware"),
    ("03621049", "kitchen_utensil", "Kitchenware"),
    ("03101986", "cookware", "Kitchenware"),
    ("03990474", "pot", "Pot"),
    ("03880531", "pan", "Pan"),
    # clothing
    ("03051540", "clothing", "Clothing"),
    ("03380867", "footwear", "Footwear"),
    ("04199027", "shoe", "Shoe"),
    ("02872752", "boot", "Boot"),
    ("03540267", "hosiery", "Hosiery"),
    ("03502509", "headdress", "Headwear"),
    ("03497657", "hat", "Hat"),
    ("02954340", "cap", "Cap"),
    ("03513137", "helmet", "Helmet"),
    ("03815615", "necktie", "Necktie"),
    ("04143897", "scarf", "Scarf"),
    ("04371563", "swimsuit", "Swimwear"),
    ("04230808", "skirt", "Skirt"),
    ("03236735", "dress", "Dress"),
    ("03057021", "coat", "Coat"),
    ("04370048", "sweater", "Sweater"),
    ("04097866", "robe", "Robe"),
    ("03450516", "robe", "Robe"),
    ("04197391", "shirt", "Shirt"),
    ("04489008", "trouser", "Pants"),
    ("04508163", "undergarment", "Underwear"),
    ("03441112", "glove", "Glove"),
    ("03725035", "mask", "Mask"),
    ("03597469", "jewelry", "Jewelry"),
    ("02739668", "armor", "Armor"),
    ("03309808", "fabric", "Fabric"),
    ("04459362", "towel", "Towel"),
    ("04447443", "toiletry", "Toiletry"),
    ("03113152", "cosmetic", "Cosmetics"),
    ("03714235", "makeup", "Cosmetics"),
    ("02785648", "bandage", "Bandage"),
    # music
    ("03800933", "musical_instrument", "Musical Instrument"),
    ("04338517", "stringed_instrument", "String Instrument"),
    ("03467517", "guitar", "Guitar"),
    ("03928116", "piano", "Piano"),
    ("04586932", "wind_instrument", "Wind Instrument"),
    ("02891788", "brass", "Brass Instrument"),
    ("04598582", "woodwind", "Woodwind"),
    ("03915437", "percussion_instrument", "Percussion Instrument"),
    # buildings and places
    ("04341686", "structure", "Structure"),
    ("02913152", "building", "Building"),
    ("04202417", "shop", "Shop"),
    ("03953416", "place_of_worship", "Place of Worship"),
    ("02898711", "bridge", "Bridge"),
    ("04460130", "tower", "Tower"),
    ("03327234", "fence", "Fence"),
    ("03743902", "memorial", "Monument"),
    ("04105068", "roof", "Roof"),
    ("03221720", "door", "Door"),
    ("04411264", "tent", "Tent"),
    ("09287968", "geological_formation", "Landscape"),
    ("09359803", "mountain", "Mountain"),
    ("09433442", "shore", "Shore"),
    # tools, devices, equipment
    ("04451818", "tool", "Tool"),
    ("03039947", "cleaning_implement", "Cleaning Tool"),
    ("03489162", "hand_tool", "Hand Tool"),
    ("03997484", "power_tool", "Power Tool"),
    ("03623556", "knife", "Knife"),
    ("03323703", "fastener", "Fastener"),
    ("03682487", "lock", "Lock"),
    ("04565375", "weapon", "Weapon"),
    ("03467984", "gun", "Gun"),
    ("03699975", "machine", "Machine"),
    ("02762044", "auto_part", "Car Part"),
    ("04574999", "wheel", "Wheel"),
    ("04453910", "top", "Lid"),
    ("03852280", "optical_instrument", "Optical Instrument"),
    ("03976657", "pole", "Pole"),
    ("03278248", "electronic_equipment", "Electronics"),
    ("03277771", "electronic_device", "Electronics"),
    ("03269401", "electrical_device", "Electronics"),
    ("03082979", "computer", "Computer"),
    ("03642806", "laptop", "Laptop"),
    ("03916720", "peripheral", "Computer Hardware"),
    ("03614007", "keyboard", "Keyboard"),
    ("04401088", "telephone", "Phone"),
    ("02942699", "camera", "Camera"),
    ("04437953", "timepiece", "Timepiece"),
    ("03046257", "clock", "Clock"),
    ("04555897", "watch", "Watch"),
    ("03733925", "measuring_instrument", "Measuring Instrument"),
    ("03739693", "medical_instrument", "Medical Equipment"),
    ("04272054", "spectacles", "Glasses"),
    ("04356056", "sunglasses", "Sunglasses"),
    ("04285146", "sports_equipment", "Sports Equipment"),
    ("04285622", "sports_implement", "Sports Equipment"),
    ("02778669", "ball", "Ball"),
    ("04028315", "puzzle", "Puzzle"),
    ("03964744", "toy", "Toy"),
    ("03906997", "pen", "Pen"),
    ("06793231", "sign", "Sign"),
    ("06595351", "magazine", "Magazine"),
    ("02870092", "book", "Book"),
    # people
    ("00007846", "person", "Person"),
    ("09820263", "athlete", "Athlete"),
)

# Where WordNet's hypernyms mislead a searcher, replace them (offset -> new hypernyms).
HYPERNYM_OVERRIDES: dict[str, tuple[str, ...]] = {
    "04576211": ("04524313",),  # wheeled vehicle: also "container" in WordNet; cars aren't
    "07881800": ("14940386",),  # beverage: keep drinks apart from (solid) Food
    "07800091": (),  # animal feed is not Food
    "07930864": ("03147509",),  # ImageNet "cup" (a punch in WordNet) shows drinking cups
    "03797390": ("03241496", "03147509"),  # a mug is a cup too
    "01514668": ("01791625",),  # cock: photos are roosters
    "01514859": ("01791625",),  # hen: photos are chickens
    "01871265": ("02503517",),  # tusker: photos are elephants
    "02117135": ("02075296",),  # hyena: WordNet calls it canine; it is not
    "04520170": ("03791235",),  # van: most vans are not trucks ...
    "03796401": ("04520170", "04490091"),  # ... but a moving van is
    "04552348": ("02691156", "03764276"),  # warplane is an airplane
    "04019101": ("04524313",),  # public transport (bus, train) is a vehicle
    "02959942": ("04576211", "04468005"),  # railway car: part of a train
    "03684823": ("04170037", "04468005"),  # locomotive: part of a train
    "04335435": ("04170037", "04019101"),  # streetcar
    "03791053": ("04576211", "03790512"),  # motor scooter ~ motorcycle
    "02766320": ("02818832",),  # baby bed (crib, cradle, bassinet) is a bed
    "04355933": ("04356056",),  # "sunglass" photos are sunglasses
    "03832673": ("03642806",),  # notebook computer = laptop
    "03082979": ("03278248",),  # computer: electronics rather than machine
    "07734744": ("07707451", "12992868"),  # mushroom: vegetable and fungus
    "12144580": ("07707451",),  # corn: photos are cobs
    "13133613": ("07707451",),  # ear (of corn)
    "12267677": ("13135832",),  # acorn: a (nut) seed, not a fruit to eat
    "12620546": ("07705931",),  # rose hip: edible fruit
    "11879895": ("11669921",),  # rapeseed: photos are fields of yellow flowers
    "07579787": ("07557434",),  # plate (of food) is a dish
    "07871810": ("07557434",),  # meat loaf is not bread
    "07831146": ("07863374",),  # carbonara photos are pasta
    "07711569": ("07557434", "07707451"),  # mashed potato
    "07565083": (),  # menu: "the dishes of a meal"; photos are printed menus
    "03065424": (),  # coil: a spiral shape, not a structure
    "04019541": ("04285146",),  # hockey puck
    "04228054": ("04285146",),  # ski
    "02778669": ("03414162", "04285146"),  # ball
    "04023962": ("04285146",),  # punching bag is not a ball
    "04251144": ("04285146",),  # snorkel
    "03868863": ("03725035",),  # oxygen mask
    "02740764": ("02739668",),  # armor plate is armor
    "03513376": ("03513137", "02739668"),  # armored helmet: helmet and armor
    "03045698": ("03051540",),  # cloak photos are garments
    "03381126": ("03051540",),  # footwear (hosiery's parent): socks are not shoes
    "03928116": ("03614532",),  # piano: keyboard instrument only
    "04437953": ("03574816",),  # timepiece: not shown as a measuring instrument
    "03891332": ("03733925",),  # parking meter
    "04562935": ("04460130",),  # water tower
    "04049303": ("02795169",),  # rain barrel
    "03637318": ("03636248",),  # lampshade
    "03636649": ("03636248", "03405725"),  # table-lamp sense of lamp
    "02808440": ("03969259",),  # bathtub is a fixture, not a container
    "04553703": ("03969259",),  # washbasin
    "04447861": ("03969259",),  # toilet seat
    "03920288": ("03094503",),  # Petri dish is lab ware, not tableware
    "04522168": ("04531098",),  # vase is not a jar
    "03733805": ("03733644", "03621049"),  # measuring cup
    "03786901": ("04531098", "03621049"),  # mortar
    "03633091": ("04531098", "03621049"),  # ladle
    "03041632": ("03623556", "03621049"),  # cleaver
    "04597913": ("04284002", "03621049"),  # wooden spoon
    "04332243": ("03621049",),  # strainer
    "04330267": ("03620052",),  # stove photos are kitchen stoves
    "04265275": ("03528263",),  # space heater
    "03271574": ("03528263",),  # electric fan
    "04074963": ("03277771",),  # remote control
    "04404412": ("03278248",),  # television
    "04041544": ("03278248",),  # radio
    "03529860": ("03278248",),  # home theater photos are TV sets
    "03492542": ("03916720",),  # hard disk
    "04264628": ("03614007",),  # space bar
    "03924679": ("03699975",),  # photocopier
    "03876231": ("04451818",),  # paintbrush
    "02814860": ("04460130",),  # lighthouse
    "02980441": ("02913152",),  # castle
    "04005630": ("02913152",),  # prison
    "04202417": ("03748162", "02913152"),  # shop building
    "03461385": ("04202417",),  # grocery store
    "03837869": ("03743902",),  # obelisk
    "03933933": ("04341686",),  # pier photos are jetties
    "04296562": ("04341686",),  # stage
    "03733281": ("04341686",),  # maze
    "02825657": ("04341686",),  # bell cote
    "02843684": ("04341686",),  # birdhouse
    "04149813": ("06793231",),  # scoreboard: a sign, not a building part
    "07248320": ("02870092",),  # book jacket
    "06596364": ("06595351",),  # comic book
    "09421951": ("09366317",),  # sandbar: not a man-made barrier
    "15075141": ("04447443",),  # toilet paper
    "02666196": (),  # abacus: not a machine
    "04238763": ("03733925",),  # slide rule: not a computer
    "06874185": ("06793231",),  # traffic light: road signage
    "03692522": ("03852280",),  # loupe
    "03483316": ("03528263",),  # hair dryer
    "03126707": ("03699975",),  # crane (machine)
    "02966687": ("04451818",),  # tool kit
    "04009552": ("03278248",),  # projector
    "03706229": ("03733925",),  # magnetic compass
    "03240683": ("04341686",),  # drilling platform
    "03355925": ("03976657",),  # flagpole
    "03733131": ("03976657",),  # maypole
    "03425413": ("03699975",),  # gas pump
    "03814639": ("03739693",),  # neck brace
    "03141823": ("03739693",),  # crutch
    "04336792": ("03739693",),  # stretcher
    "03888257": ("04285146",),  # parachute
    "04067472": ("04285146",),  # (fishing) reel
    "04372370": ("03269401",),  # electric switch
    # wing: out of a plane's window, the class fires on sky and aerial views; no Airplane
    "04592741": (),
    "03657121": ("04453910",),  # lens cap
    "03944341": ("04574999", "03964744"),  # pinwheel: a wheel and a toy
    "02965783": ("02762044",),  # car mirror
    "02974003": ("04574999", "02762044"),  # car wheel
    "03208938": ("02762044",),  # disk brake
    "03459775": ("02762044",),  # car grille
    "03843555": ("02762044",),  # oil filter
    "04040759": ("02762044",),  # radiator
    "04162706": ("02762044",),  # seat belt
}

# Class names where the first lemma is ambiguous, jargon or reads badly.
NAMES: dict[str, str] = {
    "n02012849": "Crane (Bird)",
    "n03126707": "Crane (Machine)",
    "n03710637": "Maillot (Tights)",
    "n03710721": "Tank Suit",
    "n02113186": "Cardigan Welsh Corgi",
    "n02113023": "Pembroke Welsh Corgi",
    "n02123045": "Tabby Cat",
    "n01514668": "Rooster",
    "n01608432": "Kite (Bird)",
    "n02276258": "Admiral Butterfly",
    "n02277742": "Ringlet Butterfly",
    "n02279972": "Monarch Butterfly",
    "n02281787": "Lycaenid Butterfly",
    "n02389026": "Sorrel Horse",
    "n02395406": "Pig",
    "n02088238": "Basset Hound",
    "n02096177": "Cairn Terrier",
    "n02098413": "Lhasa Apso",
    "n02101556": "Clumber Spaniel",
    "n02102040": "English Springer Spaniel",
    "n02096585": "Boston Terrier",
    "n02112137": "Chow Chow",
    "n02704792": "Amphibious Vehicle",
    "n02892201": "Plaque",
    "n02814860": "Lighthouse",
    "n02747177": "Trash Can",
    "n03991062": "Flowerpot",
    "n03594734": "Jeans",
    "n03877472": "Pajamas",
    "n03947888": "Pirate Ship",
    "n04606251": "Shipwreck",
    "n04399382": "Teddy Bear",
    "n07697537": "Hot Dog",
    "n09835506": "Baseball Player",
    "n13133613": "Ear of Corn",
    "n12620546": "Rose Hip",
    "n07930864": "Cup",
    "n06359193": "Website",
    "n02134084": "Polar Bear",
    "n02497673": "Ring-Tailed Lemur",
    "n02509815": "Red Panda",
    "n02536864": "Coho Salmon",
    "n02655020": "Pufferfish",
    "n01664065": "Loggerhead Turtle",
    "n01494475": "Hammerhead Shark",
    "n02493509": "Titi Monkey",
    "n02486261": "Patas Monkey",
    "n04243546": "Slot Machine",
    "n04118776": "Ruler",
    "n03954731": "Woodworking Plane",
    "n04141076": "Saxophone",
    "n02930766": "Taxi",
    "n04037443": "Race Car",
    "n02814533": "Station Wagon",
    "n02783161": "Ballpoint Pen",
    "n04554684": "Washing Machine",
    "n04517823": "Vacuum Cleaner",
    "n03793489": "Computer Mouse",
    "n03832673": "Notebook Computer",
    "n03492542": "Hard Disk",
    "n02992529": "Cell Phone",
    "n03902125": "Pay Phone",
    "n03483316": "Hair Dryer",
    "n03000684": "Chainsaw",
    "n03424325": "Gas Mask",
    "n03445924": "Golf Cart",
    "n02788148": "Banister",
    "n02797295": "Wheelbarrow",
    "n03825788": "Bottle Nipple",
    "n04367480": "Mop",
    "n03929660": "Guitar Pick",
    "n04067472": "Fishing Reel",
    "n15075141": "Toilet Paper",
    "n03337140": "File Cabinet",
    "n04515003": "Upright Piano",
    "n04417672": "Thatched Roof",
}

# Extra aliases for categories (WordNet synonyms are added automatically).
NODE_ALIASES: dict[str, tuple[str, ...]] = {
    # Not "People": that is the people analyzer's own label for several persons (as in
    # Rekognition), so one diver or groom must not answer a search for people.
    "Person": ("Human",),
    "Insect": ("Bug",),
    "Cattle": ("Cow",),
    "Rabbit": ("Hare", "Bunny"),
    "Crocodile": ("Alligator",),
    "Chicken": ("Poultry",),
    "Cat": ("Kitten",),
    "Dog": ("Puppy",),
    "Drink": ("Beverage",),
    "Landscape": ("Nature", "Scenery"),
    "Shore": ("Coast", "Beach", "Shoreline"),
    "Electronics": ("Electronic Device",),
    "Appliance": ("Home Appliance",),
    "Cosmetics": ("Makeup",),
    "Sunglasses": ("Shades",),
    "Footwear": ("Shoes",),
    "Headwear": ("Headgear",),
    "Pants": ("Trousers",),
}

# Synonyms that nobody types into a search box; dropped from category aliases only.
ALIAS_DROP = frozenset(
    """animate being|beast|brute|creature|fauna|mammalian|reptilian|ophidian|serpent|
    canid|felid|gnawer|leporid mammal|oscine bird|kine|oxen|cows|caprine animal|toad frog|
    anuran|arachnoid|mollusc|shellfish|raptorial bird|bird of jove|bird of minerva|
    bird of night|hooter|flora|plant life|nutrient|solid food|drinkable|potable|intoxicant|
    vino|java|breadstuff|staff of life|beefburger|motortruck|autobus|charabanc|
    railroad train|ballistic capsule|space vehicle|projectile|vessel|
    sailing ship|war vessel|combat ship|sledge|go-cart|pushcart|piece of furniture|
    article of furniture|lounge|board|handbasket|tin|tin can|drinking glass|cooking utensil|
    article of clothing|vesture|wear|footgear|hose|chapeau|lid|swimming costume|frock|pant|
    unmentionable|jewellery|armour|material|toilet articles|instrument|wind|wood|
    woodwind instrument|percussive instrument|construction|edifice|store|house of prayer|
    house of god|house of worship|span|fencing|monument|theatre|house|collapsible shelter|
    formation|mount|arm|weapon system|computing machine|computing device|data processor|
    computer peripheral|peripheral device|telephone set|photographic camera|timekeeper|
    horologe|ticker|measuring system|measuring device|specs|dark glasses|shades|plaything|
    signal|signaling|mag|volume|individual|someone|somebody|mortal|soul|jock|
    laptop computer|patch|war paint|make-up|curtain|drape|drapery|mantle|floor covering|
    bed clothing|auto|machine|fixing|holdfast|fastening|restraint|railcar|engine|
    locomotive engine|railway locomotive|cutting tool|lawn tool|cabinet|shirt|eating utensil|
    ax|axe|grouse|caryopsis|green goods|green groceries|veggie|veg|funnel|white potato|
    irish potato|murphy|alimentary paste|shelter|pen|wheel|cycle|information processing system|
    habiliment|wearable|anuran|batrachian|salientian|inebriant|pall|unmentionable|
    edible fruit|leporid|cooking pan|forte-piano|pianoforte|source of illumination|
    geological formation|formation|jitney|passenger vehicle|motorcoach|motorbus|omnibus|
    electronic computer|canid|poodle dog|hound dog|sports implement|car part|
    auto part|top""".split("|")
)

# Top-level categories written into LabelFinding.category (first match, widest first).
CATEGORY_ROOTS: tuple[tuple[str, str], ...] = (
    ("Animal", "Animal"),
    ("Person", "Person"),
    ("Plant", "Plant"),
    ("Fungus", "Plant"),
    ("Seed", "Plant"),
    ("Food", "Food"),
    ("Drink", "Food"),
    ("Vehicle", "Vehicle"),
    ("Clothing", "Clothing"),
    ("Structure", "Place"),
    ("Landscape", "Place"),
)

SMALL_WORDS = frozenset("a an and at by de des du for in la le o' of on or the to with".split())


@dataclass(frozen=True)
class Synset:
    lemmas: tuple[str, ...]
    hypernyms: tuple[str, ...]


def read_wordnet(wordnet_dir: Path) -> dict[str, Synset]:
    """Parse WordNet's data.noun: offset -> lemmas and (instance) hypernym offsets."""
    synsets: dict[str, Synset] = {}
    with (wordnet_dir / "data.noun").open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(" "):  # licence header
                continue
            fields = line.split(" | ", 1)[0].split()
            n_words = int(fields[3], 16)
            lemmas = tuple(fields[4 + 2 * i] for i in range(n_words))
            pos = 4 + 2 * n_words
            n_ptrs = int(fields[pos])
            hypernyms = []
            for i in range(n_ptrs):
                symbol, target, target_pos = fields[pos + 1 + 4 * i : pos + 4 + 4 * i]
                if symbol in ("@", "@i") and target_pos == "n":
                    hypernyms.append(target)
            synsets[fields[0]] = Synset(lemmas, tuple(hypernyms))
    return synsets


def read_timm(wheel: Path) -> tuple[list[str], dict[str, list[str]], str]:
    """The 1000 wnids (sorted = class index order), their lemmas, and a source note."""
    with zipfile.ZipFile(wheel) as zf:
        wnids = sorted(zf.read(SYNSETS_TXT).decode().split())
        lemmas: dict[str, list[str]] = {}
        for line in zf.read(LEMMAS_TXT).decode().splitlines():
            wnid, _, text = line.partition("\t")
            lemmas[wnid] = [part.strip() for part in text.split(",") if part.strip()]
    if len(wnids) != 1000 or len(set(wnids)) != 1000:
        raise SystemExit(f"expected 1000 distinct wnids in {SYNSETS_TXT}, got {len(wnids)}")
    version = re.sub(r"-py3.*", "", wheel.name).replace("timm-", "timm ")
    return wnids, lemmas, f"{version} ({SYNSETS_TXT}, {LEMMAS_TXT})"


def title_case(text: str) -> str:
    """'german shepherd' -> 'German Shepherd'; words that already have capitals stay."""
    words = []
    for w_index, word in enumerate(text.split()):
        if any(ch.isupper() for ch in word):
            words.append(word)
            continue
        parts = word.split("-")
        words.append(
            "-".join(
                part
                if (w_index or p_index) and part in SMALL_WORDS
                else part[:1].upper() + part[1:]
                for p_index, part in enumerate(parts)
            )
        )
    return " ".join(words)


class Builder:
    def __init__(self, synsets: dict[str, Synset]) -> None:
        self.synsets = synsets
        self.genera = {
            lemma[len("genus_") :].lower()
            for syn in synsets.values()
            for lemma in syn.lemmas
            if lemma.startswith("genus_")
        }
        self.words = {lemma.lower() for syn in synsets.values() for lemma in syn.lemmas}
        self.allowed: dict[str, str] = {}
        for offset, lemma, display in ALLOW:
            if offset not in synsets or lemma not in synsets[offset].lemmas:
                raise SystemExit(f"ALLOW entry {offset} {lemma!r} does not match WordNet")
            self.allowed[offset] = display
        for offset, targets in HYPERNYM_OVERRIDES.items():
            if not {offset, *targets} <= synsets.keys():
                raise SystemExit(f"HYPERNYM_OVERRIDES entry {offset} names an unknown synset")
        self._ancestors: dict[str, dict[str, int]] = {}

    def hypernyms(self, offset: str) -> tuple[str, ...]:
        return HYPERNYM_OVERRIDES.get(offset, self.synsets[offset].hypernyms)

    def ancestors(self, offset: str) -> dict[str, int]:
        """Every ancestor with its longest distance, so a node sorts after its children."""
        if offset not in self._ancestors:
            found: dict[str, int] = {}
            for parent in self.hypernyms(offset):
                for anc, dist in [(parent, 0), *self.ancestors(parent).items()]:
                    found[anc] = max(found.get(anc, 0), dist + 1)
            self._ancestors[offset] = found
        return self._ancestors[offset]

    def display_distances(self, offsets: Iterable[str]) -> dict[str, int]:
        """Allowed categories reachable from (and including) the given synsets."""
        dist: dict[str, int] = {}
        for offset in offsets:
            for anc, d in [(offset, 0), *self.ancestors(offset).items()]:
                if anc in self.allowed:
                    name = self.allowed[anc]
                    dist[name] = max(dist.get(name, 0), d)
        return dist

    def is_scientific(self, lemma: str) -> bool:
        """'Canis familiaris' style binomials: genus + lowercase epithet."""
        first, *rest = lemma.split()
        return (
            bool(rest)
            and first[:1].isupper()
            and all(w.isalpha() and w.islower() for w in rest)
            and (first.lower() in self.genera or first.lower() not in self.words)
        )

    def alias_form(self, lemma: str) -> str:
        lemma = lemma.replace("_", " ")
        return lemma if self.is_scientific(lemma) else title_case(lemma)


def order_parents(
    dist: dict[str, int], above: dict[str, set[str]], size: dict[str, int]
) -> list[str]:
    """Nearest (then smallest) first, and always a category before everything above it."""
    left = set(dist)
    ordered: list[str] = []
    while left:
        ready = [n for n in left if not any(n in above[m] for m in left if m != n)]
        if not ready:
            raise SystemExit(f"cycle among categories {sorted(left)}")
        pick = min(ready, key=lambda n: (dist[n], size[n], n))
        ordered.append(pick)
        left.remove(pick)
    return ordered


def category_of(name: str, parents: list[str]) -> str:
    chain = {name, *parents}
    return next((cat for root, cat in CATEGORY_ROOTS if root in chain), "Object")


def class_names(wnids: list[str], synsets: dict[str, Synset]) -> list[str]:
    names = [NAMES.get(w) or title_case(synsets[w[1:]].lemmas[0].replace("_", " ")) for w in wnids]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f"duplicate class names, add NAMES entries: {dupes}")
    return names


def build(
    wnids: list[str], timm_lemmas: dict[str, list[str]], synsets: dict[str, Synset]
) -> dict[str, object]:
    b = Builder(synsets)
    node_offsets: dict[str, list[str]] = {}
    for offset, display in b.allowed.items():
        node_offsets.setdefault(display, []).append(offset)
    names = class_names(wnids, synsets)
    for wnid, name in zip(wnids, names, strict=True):
        if b.allowed.get(wnid[1:], name) != name:
            raise SystemExit(f"{wnid} is category {b.allowed[wnid[1:]]!r} but named {name!r}")
    all_names = {n.casefold() for n in [*names, *node_offsets]}

    # Unordered sets first: ordering needs every category's ancestors and size.
    node_dist = {
        n: {p: d for p, d in b.display_distances(offs).items() if p != n}
        for n, offs in node_offsets.items()
    }
    above = {n: set(dist) for n, dist in node_dist.items()}
    class_dist = [
        {p: d for p, d in b.display_distances([w[1:]]).items() if p != name}
        for w, name in zip(wnids, names, strict=True)
    ]
    size = dict.fromkeys(node_offsets, 0)
    for dist in class_dist:
        for parent in dist:
            size[parent] += 1
    unused = sorted(n for n, count in size.items() if not count and n not in names)
    if unused:
        raise SystemExit(f"categories without any ImageNet class: {unused}")
    node_parents = {n: order_parents(dist, above, size) for n, dist in node_dist.items()}

    classes = []
    for wnid, name, dist in zip(wnids, names, class_dist, strict=True):
        parents = order_parents(dist, above, size)
        for i, parent in enumerate(parents):  # closure check keeps node sums honest
            missing = set(node_parents[parent]) - set(parents[i + 1 :]) - {name}
            if missing:
                raise SystemExit(f"{wnid} {name}: {parent} implies {missing} not reached")
        lemmas = [*synsets[wnid[1:]].lemmas, *timm_lemmas.get(wnid, [])]
        aliases = dedupe((b.alias_form(x) for x in lemmas), all_names)
        classes.append(
            {
                "wnid": wnid,
                "name": name,
                "aliases": aliases,
                "parents": parents,
                "category": category_of(name, parents),
            }
        )

    nodes = {}
    drop = {a.strip() for a in ALIAS_DROP} | all_names
    for name in sorted(node_offsets):
        lemmas = [x for o in node_offsets[name] for x in synsets[o].lemmas]
        wanted = [b.alias_form(x) for x in lemmas if not b.is_scientific(x.replace("_", " "))]
        nodes[name] = {
            "wnids": sorted("n" + o for o in node_offsets[name]),
            "aliases": dedupe([*wanted, *NODE_ALIASES.get(name, ())], drop),
            "parents": node_parents[name],
            "category": category_of(name, node_parents[name]),
        }
    return {"classes": classes, "nodes": nodes}


def dump(data: dict[str, object]) -> str:
    """Sorted keys, one class / one category per line: small, stable diffs."""

    def one(obj: object) -> str:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True)

    classes = data["classes"]
    nodes = data["nodes"]
    assert isinstance(classes, list) and isinstance(nodes, dict)
    lines = ["{", '"classes": [']
    lines += [f"{one(c)}{',' if i < len(classes) - 1 else ''}" for i, c in enumerate(classes)]
    lines += ["],", '"nodes": {']
    items = list(nodes.items())
    lines += [
        f"{one(k)}: {one(v)}{',' if i < len(items) - 1 else ''}" for i, (k, v) in enumerate(items)
    ]
    lines += ["},", f'"source": {one(data["source"])}', "}"]
    return "\n".join(lines) + "\n"


def report(data: dict[str, object]) -> None:
    classes = data["classes"]
    nodes = data["nodes"]
    assert isinstance(classes, list) and isinstance(nodes, dict)
    for c in classes:
        print(f"{c['wnid']} {c['name']} -> {', '.join(c['parents']) or '-'}")
    orphans = [c["name"] for c in classes if not c["parents"]]
    print(f"\n{len(nodes)} categories; {len(orphans)} classes without parent: {orphans}")


def find_wheel(given: Path | None) -> Path:
    """The timm wheel to read, or exit with the command that downloads one."""
    if given is None:
        found = sorted(Path("/tmp/timmwheel").glob("timm-*.whl"))
        given = found[-1] if found else None
    if given is None or not given.is_file():
        raise SystemExit(
            "need the timm wheel: pip download --no-deps timm -d /tmp/timmwheel "
            "(then pass --timm-wheel /tmp/timmwheel/timm-*.whl)"
        )
    return given


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--timm-wheel",
        type=Path,
        help="timm wheel from `pip download --no-deps timm -d /tmp/timmwheel` "
        "(default: newest /tmp/timmwheel/timm-*.whl)",
    )
    ap.add_argument(
        "--wordnet-dir",
        type=Path,
        default=Path("/usr/share/wordnet"),
        help="WordNet 3.0 dict dir (apt-get install wordnet-base)",
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--report", action="store_true", help="print every class's chain")
    args = ap.parse_args(argv)
    if not (args.wordnet_dir / "data.noun").is_file():
        raise SystemExit(f"no data.noun in {args.wordnet_dir}: apt-get install wordnet-base")
    synsets = read_wordnet(args.wordnet_dir)
    wnids, lemmas, timm_source = read_timm(find_wheel(args.timm_wheel))
    data = build(wnids, lemmas, synsets)
    apply_everyday(data, read_everyday())  # categories stay those of the WordNet chain
    data["source"] = {
        "classes": timm_source,
        "generator": "scripts/build_taxonomy.py",
        "hierarchy": "WordNet 3.0 data.noun (Debian wordnet-base)",
        "everyday": "src/mediaquery/analyzers/data/everyday.tsv (scripts/taxonomy_everyday.py)",
    }
    args.out.write_text(dump(data), encoding="utf-8")
    if args.report:
        report(data)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
