"""English vocabulary of the Amazon-style reviews: one word set per product category, sentence templates per
sentiment.

Structure the text carries (what later topic models and classifiers are scored on):

- each category has its own product nouns, features, good and bad details, uses, brands and title words, so
  reviews cluster by category;
- sentence templates are positive, neutral (mixed) or negative; a review draws each sentence's sentiment from
  a distribution that depends on its star rating (see ``SENTENCE_SENTIMENT``), so sentiment words correlate
  with the rating but not perfectly.

No word list may contain a tab or a newline (the TSV has no quoting).
"""
from __future__ import annotations

from vocspark.demo.text import words as w

# (name, share of the reviews). Names with spaces become underscores in file names.
CATEGORIES: list[tuple[str, float]] = [
    ("Books", 0.15), ("Electronics", 0.10), ("Kitchen", 0.08), ("Home", 0.08), ("Apparel", 0.07),
    ("Beauty", 0.06), ("Toys", 0.05), ("Sports", 0.05), ("Grocery", 0.04), ("Pet Products", 0.04),
    ("Music", 0.04), ("Video Games", 0.04), ("Automotive", 0.03), ("Tools", 0.03), ("Office Products", 0.03),
    ("Baby", 0.03), ("Health", 0.03), ("Shoes", 0.03), ("Jewelry", 0.01), ("Outdoors", 0.01),
]

DEFAULT_TITLES = ["{brand} {adj} {noun}", "{brand} {adj} {noun}, {suffix}", "{brand} {noun} - {adj}, {suffix}"]

CATEGORY_WORDS: dict[str, dict[str, list[str]]] = {
    "Books": {
        "noun": w("novel|book|paperback|hardcover|thriller|biography|cookbook|memoir|story collection|textbook"),
        "feature": w("plot|characters|writing|ending|pacing|print quality|binding|illustrations|dialogue|chapters"),
        "good": w("the plot kept me hooked until the last page|the characters feel real|the writing is beautiful "
                  "and easy to follow|I could not put it down|the ending was a perfect surprise|every chapter "
                  "made me want to read the next one"),
        "bad": w("the plot drags in the middle|the binding fell apart after one read|the ending was rushed and "
                 "predictable|the pages arrived bent and stained|the characters are flat and boring|the print is "
                 "so small I needed a magnifier"),
        "use": w("for a long flight|for my book club|for bedtime reading|for a rainy weekend|for a history class"),
        "brand": w("Penbrook Press|Harlow House|Bluequill|Marrow Books|Lanternfield"),
        "adj": w("Illustrated|Annotated|Large Print|Collector's|Anniversary"),
        "suffix": w("Paperback|Hardcover|2nd Edition|Box Set"),
        "t_adj": w("Silent|Lost|Hidden|Last|Golden|Broken|Midnight|Secret|Forgotten|Winter"),
        "t_noun": w("River|Garden|Kingdom|Letter|Orchard|Lighthouse|Daughter|Map|Island|Promise"),
        "titles": ["The {t_adj} {t_noun}: A Novel", "The {t_adj} {t_noun} ({suffix})", "{t_noun} and Other Stories",
                   "A {t_adj} {t_noun}", "The {t_noun} Cookbook: {adj} Edition"],
    },
    "Music": {
        "noun": w("album|vinyl record|CD|box set|live album|remastered edition|soundtrack|EP"),
        "feature": w("sound quality|mixing|vocals|lyrics|track list|guitar work|pressing|liner notes"),
        "good": w("every track is a gem|the vocals give me chills|the remaster sounds warm and clear|the pressing "
                  "is dead quiet|the live energy comes through on every song"),
        "bad": w("the vinyl arrived warped|the CD skips on track three|the remaster is too loud and compressed|"
                 "half the songs are filler|the sleeve was torn and the disc scratched"),
        "use": w("for a road trip|for a quiet evening|for my collection|for the gym|for a dinner party"),
        "brand": w("Redwave Records|Northsound|Vinylworks|Echo Lane|Saltmarsh Music"),
        "adj": w("Remastered|Deluxe|Limited|Live|Expanded"),
        "suffix": w("Vinyl|CD|2LP|Bonus Tracks"),
        "t_adj": w("Electric|Blue|Wild|Velvet|Neon|Lonely|Golden|Midnight"),
        "t_noun": w("Dreams|Highway|Hearts|Echoes|Summer|Shadows|Fire|Horizon"),
        "titles": ["{t_adj} {t_noun} [{suffix}]", "{t_adj} {t_noun} ({adj})", "{t_noun}: {adj} Sessions"],
    },
    "Electronics": {
        "noun": w("headphones|charger|bluetooth speaker|USB cable|power bank|webcam|tablet|smartwatch|earbuds|"
                  "HDMI adapter"),
        "feature": w("battery life|sound|screen|bluetooth connection|charging speed|build quality|microphone|"
                     "buttons|range"),
        "good": w("the battery lasts all day|setup took two minutes|it pairs instantly with my phone|the sound is "
                  "crisp and loud|it charges my phone really fast|the screen is bright and sharp"),
        "bad": w("the battery drains overnight|it stopped charging after a week|the bluetooth keeps disconnecting|"
                 "it gets very hot while charging|the left earbud died|the screen cracked on its own"),
        "use": w("for work calls|for travel|for my home office|for gaming|for the gym"),
        "brand": w("Voltix|Sonara|Kinetix|Ampere Labs|Nexon"),
        "adj": w("Wireless|Portable|Fast Charging|Noise Cancelling|Compact|Bluetooth 5.0"),
        "suffix": w("Black|White|2 Pack|10 ft|Silver"),
    },
    "Kitchen": {
        "noun": w("blender|frying pan|knife set|coffee maker|cutting board|toaster|mixing bowl|air fryer|kettle|"
                  "spatula"),
        "feature": w("blade|handle|nonstick coating|lid|motor|temperature control|capacity|finish"),
        "good": w("it heats evenly and cleans up in seconds|the blades are razor sharp|my coffee tastes like the "
                  "cafe|nothing sticks to the pan|it crushes ice without effort"),
        "bad": w("the nonstick coating peeled off|the lid leaks everywhere|the motor smells like burning plastic|"
                 "the handle got loose after a month|rust spots appeared after washing"),
        "use": w("for weeknight dinners|for baking|for meal prep|for morning coffee|for a small apartment"),
        "brand": w("ChefCraft|Kitchora|HomeChef|Culina|Brava"),
        "adj": w("Stainless Steel|Nonstick|10-Inch|Cast Iron|Electric|Ceramic"),
        "suffix": w("Red|Set of 3|1.7 Liter|Dishwasher Safe|Gray"),
    },
    "Toys": {
        "noun": w("puzzle|building set|doll|action figure|board game|plush bear|toy car|kite|play dough kit|"
                  "train set"),
        "feature": w("pieces|colors|instructions|paint|wheels|box|size|stitching"),
        "good": w("my kids play with it for hours|the pieces snap together perfectly|it kept the whole family "
                  "laughing|the colors are bright and fun|my daughter sleeps with it every night"),
        "bad": w("pieces were missing from the box|the paint chipped on day one|it broke within an hour of play|"
                 "the instructions make no sense|the batteries died the same day"),
        "use": w("for a birthday gift|for a rainy afternoon|for a five year old|for family game night"),
        "brand": w("PlayNest|Toyland|Brightkins|FunForge|Wonderbox"),
        "adj": w("Educational|Wooden|Magnetic|500-Piece|Remote Control|Musical"),
        "suffix": w("Ages 3+|Multicolor|100 Pieces|Blue"),
    },
    "Apparel": {
        "noun": w("t-shirt|hoodie|jeans|dress|jacket|sweater|leggings|pajama set|scarf|cardigan"),
        "feature": w("fabric|fit|stitching|color|sizing|zipper|pockets|waistband"),
        "good": w("the fabric is soft and breathable|it fits true to size|the color is exactly like the photo|"
                  "it still looks new after many washes|it keeps me warm without being bulky"),
        "bad": w("it shrank two sizes after one wash|the seams came apart|the color faded quickly|the sizing "
                 "runs really small|the zipper broke the first day"),
        "use": w("for work|for lounging at home|for a wedding|for cold mornings|for travel"),
        "brand": w("Urbanthread|Lumen Wear|Northloom|Cotton&Co|Vela"),
        "adj": w("Slim Fit|Oversized|Cotton|Fleece|Long Sleeve|Casual"),
        "suffix": w("Navy|Medium|Large|Heather Gray|Black"),
    },
    "Beauty": {
        "noun": w("moisturizer|shampoo|lipstick|face serum|mascara|sunscreen|nail polish|hair dryer|perfume|"
                  "face mask"),
        "feature": w("scent|texture|color|packaging|formula|shade|applicator|pump"),
        "good": w("my skin feels soft and hydrated|the scent is light and lovely|it lasts all day without "
                  "smudging|my hair has never been shinier|a little goes a long way"),
        "bad": w("it broke me out in a rash|the scent is overpowering and chemical|the pump stopped working|"
                 "it smudges within an hour|the bottle arrived half empty"),
        "use": w("for dry skin|for everyday makeup|for sensitive skin|for curly hair|for the beach"),
        "brand": w("Glowé|Purelle|Velvetine|Bloom & Co|Aurae"),
        "adj": w("Hydrating|Matte|Organic|SPF 50|Long Lasting|Vitamin C"),
        "suffix": w("1.7 fl oz|Nude|Travel Size|Unscented"),
    },
    "Sports": {
        "noun": w("yoga mat|dumbbell set|resistance bands|water bottle|jump rope|tennis racket|soccer ball|gym bag|"
                  "foam roller|cycling gloves"),
        "feature": w("grip|weight|material|padding|handles|thickness|size|strap"),
        "good": w("the grip is solid even when I sweat|it made my home workouts so much better|it feels sturdy "
                  "and well balanced|it is light enough to carry everywhere"),
        "bad": w("it smells like rubber for weeks|the handles cracked after a month|it slips on the floor|the "
                 "seams split during my first workout"),
        "use": w("for home workouts|for yoga class|for marathon training|for the weekend league"),
        "brand": w("Stridex|Peakform|IronPulse|Flexa|Apex Motion"),
        "adj": w("Non-Slip|Adjustable|Extra Thick|Lightweight|Heavy Duty"),
        "suffix": w("Black|6mm|20 lb|Pair|Purple"),
    },
    "Home": {
        "noun": w("lamp|curtains|throw pillow|bed sheets|wall clock|storage basket|rug|mirror|vacuum|"
                  "shower curtain"),
        "feature": w("color|size|material|assembly|light|threads|finish|cord"),
        "good": w("it makes the living room feel cozy|the sheets are silky and cool|assembly took five minutes|"
                  "it looks much more expensive than it is|the vacuum picks up every pet hair"),
        "bad": w("the color looks nothing like the photo|the rug sheds everywhere|it arrived cracked|the clock "
                 "ticks loudly all night|the curtains let all the light in"),
        "use": w("for the bedroom|for a small apartment|for the guest room|for the living room"),
        "brand": w("Nestwell|Casa Lumo|Hearthly|Oakhaven|Domi"),
        "adj": w("Modern|Blackout|Microfiber|Decorative|Queen Size|Rustic"),
        "suffix": w("Beige|Set of 2|5x7 ft|Queen|White"),
    },
    "Grocery": {
        "noun": w("coffee beans|green tea|olive oil|granola|dark chocolate|protein bars|pasta|hot sauce|almonds|"
                  "honey"),
        "feature": w("flavor|freshness|packaging|taste|aroma|texture|expiration date|sweetness"),
        "good": w("the flavor is rich and fresh|it tastes just like homemade|my whole family loves the taste|"
                  "the beans smell amazing when opened"),
        "bad": w("it arrived already expired|the bag was torn and stale|it tastes bitter and artificial|the jar "
                 "was leaking in the box"),
        "use": w("for breakfast|for snacking at work|for baking cookies|for my morning routine"),
        "brand": w("Harvest Lane|Good Pantry|Terra Verde|Nutriva|Sol Farms"),
        "adj": w("Organic|Gluten Free|Roasted|Extra Virgin|Sugar Free|Whole Bean"),
        "suffix": w("12 oz|Pack of 6|2 lb Bag|16.9 fl oz"),
    },
    "Pet Products": {
        "noun": w("dog bed|cat litter|chew toy|leash|cat tree|dog food|pet brush|bird feeder|aquarium filter|"
                  "pet carrier"),
        "feature": w("size|material|smell|stitching|clip|cushion|bristles|scent"),
        "good": w("my dog has not left it since it arrived|my cat is obsessed with it|it controls the odor "
                  "really well|it survived my puppy chewing on it"),
        "bad": w("my dog destroyed it in ten minutes|the cat refuses to go near it|the clip broke on our first "
                 "walk|it smells strongly of chemicals"),
        "use": w("for a large dog|for an indoor cat|for a new puppy|for long walks"),
        "brand": w("Pawsome|Furhaven Co|Whiskerly|BarkBright|PetNest"),
        "adj": w("Orthopedic|Clumping|Durable|Retractable|Grain Free"),
        "suffix": w("Large|20 lb|Gray|Pack of 3"),
    },
    "Video Games": {
        "noun": w("game|controller|headset|console stand|racing wheel|gaming mouse|charging dock|memory card"),
        "feature": w("graphics|gameplay|story|controls|multiplayer|load times|buttons|frame rate"),
        "good": w("the graphics are stunning|the story kept me playing all weekend|the controls feel tight and "
                  "responsive|online matches run without lag"),
        "bad": w("the game crashes every hour|the controller drifts to the left|the servers are always down|it "
                 "is full of bugs and glitches"),
        "use": w("for online matches|for long sessions|for couch co-op|for speedruns"),
        "brand": w("Pixelforge|GameCore|NeoPlay|Arcadia|Vortex Studios"),
        "adj": w("Wireless|RGB|Deluxe Edition|Pro|Ergonomic"),
        "suffix": w("PS4|Xbox One|Nintendo Switch|PC"),
    },
    "Automotive": {
        "noun": w("car charger|floor mats|dash cam|tire inflator|seat covers|phone mount|jump starter|"
                  "wiper blades"),
        "feature": w("fit|installation|suction cup|cable|display|clips|material|power"),
        "good": w("it fit my car perfectly|installation took ten minutes|the dash cam video is clear even at "
                  "night|it started my truck on the first try"),
        "bad": w("the mount falls off the dashboard|it does not fit as advertised|the wipers streak badly|it "
                 "blew a fuse in my car"),
        "use": w("for long road trips|for my daily commute|for winter driving|for my truck"),
        "brand": w("RoadMate|Autovia|Gearline|TorqueX|DriveSafe"),
        "adj": w("Universal|Heavy Duty|All Weather|1080p|Magnetic"),
        "suffix": w("Black|22 inch|2 Pack|12V"),
    },
    "Tools": {
        "noun": w("drill|screwdriver set|tape measure|socket wrench|hammer|stud finder|utility knife|tool box|"
                  "level|saw"),
        "feature": w("battery|torque|bits|grip|case|blade|accuracy|chuck"),
        "good": w("it drives screws like butter|the battery holds a charge for days|the bits are solid and "
                  "precise|it feels solid in the hand"),
        "bad": w("the bits stripped on the first screw|the battery died after ten minutes|the case broke at the "
                 "hinge|it is not accurate at all"),
        "use": w("for home repairs|for building furniture|for the garage|for weekend projects"),
        "brand": w("Forgeline|BuildPro|IronClad|Tekton Works|Stanza"),
        "adj": w("Cordless|20V|Magnetic|Professional|Compact"),
        "suffix": w("with Case|45 Piece|25 ft|Yellow"),
    },
    "Office Products": {
        "noun": w("notebook|gel pens|desk organizer|stapler|printer paper|planner|label maker|whiteboard|"
                  "desk lamp|file folders"),
        "feature": w("ink|paper|binding|spring|color|size|labels|surface"),
        "good": w("the ink flows smoothly without smudging|it keeps my desk tidy|the paper is thick and nothing "
                  "bleeds through|it made planning my week a joy"),
        "bad": w("the pens dried out within a week|the stapler jams constantly|the pages tore out easily|the "
                 "whiteboard stains permanently"),
        "use": w("for school|for the office|for planning|for journaling"),
        "brand": w("Papertrail|Deskwise|Inkly|Officio|Noteworthy"),
        "adj": w("Spiral|Fine Point|Heavy Duty|Dotted|Magnetic"),
        "suffix": w("Pack of 12|A5|Assorted Colors|Letter Size"),
    },
    "Baby": {
        "noun": w("diapers|baby monitor|stroller|pacifier|baby bottle|car seat|swaddle blanket|teething toy|"
                  "high chair|baby wipes"),
        "feature": w("fit|material|straps|nipple|video|wheels|padding|absorbency"),
        "good": w("our baby sleeps through the night now|no leaks even overnight|the monitor picture is crystal "
                  "clear|it folds with one hand"),
        "bad": w("the diapers leak every night|the monitor loses connection constantly|the straps are hard to "
                 "adjust|my baby got a rash from it"),
        "use": w("for a newborn|for travel|for naps|for a baby shower gift"),
        "brand": w("Little Nest|Snuggle Co|Babyloom|Tinytots|Cuddlebug"),
        "adj": w("Hypoallergenic|Anti-Colic|Organic Cotton|Lightweight|Size 3"),
        "suffix": w("Pack of 2|0-6 Months|120 Count|Pink"),
    },
    "Health": {
        "noun": w("vitamins|blood pressure monitor|thermometer|fish oil|protein powder|heating pad|electric "
                  "toothbrush|first aid kit|probiotics|sleep mask"),
        "feature": w("capsules|readings|taste|battery|cuff|dosage|bristles|display"),
        "good": w("I have more energy after two weeks|the readings match my doctor's machine|my teeth feel "
                  "cleaner than ever|it eased my back pain"),
        "bad": w("the capsules are huge and hard to swallow|the readings are all over the place|it upset my "
                 "stomach|it stopped heating after a month"),
        "use": w("for daily health|for my parents|for back pain|for travel"),
        "brand": w("Vitalis|NutraCore|Healthwise|Medica|PureLife"),
        "adj": w("Digital|Extra Strength|Sugar Free|Rechargeable|1000mg"),
        "suffix": w("120 Capsules|60 Count|Unflavored|Blue"),
    },
    "Shoes": {
        "noun": w("running shoes|boots|sandals|sneakers|slippers|loafers|hiking boots|heels|flip flops|work shoes"),
        "feature": w("sole|fit|insole|laces|arch support|width|leather|heel"),
        "good": w("they are comfortable right out of the box|my feet do not hurt after long shifts|they fit true "
                  "to size|the arch support is amazing"),
        "bad": w("the sole separated after a month|they gave me blisters|they run half a size small|the heel "
                 "squeaks with every step"),
        "use": w("for running|for work|for hiking trips|for walking all day"),
        "brand": w("Strideway|Kicksy|Trailmark|Comfortec|Solace"),
        "adj": w("Breathable|Waterproof|Memory Foam|Leather|Slip On"),
        "suffix": w("Size 9|Wide|Black|Men's|Women's"),
    },
    "Jewelry": {
        "noun": w("necklace|earrings|bracelet|ring|pendant|watch|anklet|charm"),
        "feature": w("clasp|chain|finish|stone|size|plating|shine|box"),
        "good": w("it sparkles beautifully in the light|my wife has not taken it off|it looks much more "
                  "expensive than it was|it arrived in a lovely gift box"),
        "bad": w("the plating turned my skin green|the clasp broke the first time I wore it|the stone fell out|"
                 "the chain tarnished in a week"),
        "use": w("for an anniversary|for a birthday present|for everyday wear|for a wedding"),
        "brand": w("Lumina|Aurelia|Stellar Gems|Opaline|Verve"),
        "adj": w("Sterling Silver|14K Gold Plated|Rose Gold|Dainty|Cubic Zirconia"),
        "suffix": w("18 inch|Size 7|with Gift Box"),
    },
    "Outdoors": {
        "noun": w("tent|sleeping bag|camping chair|hiking backpack|headlamp|cooler|hammock|water filter|"
                  "camp stove|trekking poles"),
        "feature": w("zippers|waterproofing|straps|weight|frame|insulation|poles|brightness"),
        "good": w("it kept us dry through a night of rain|it packs down small and light|it sets up in five "
                  "minutes|the headlamp lights the whole trail"),
        "bad": w("the tent leaked at the seams|the zipper broke on the first trip|it is much heavier than "
                 "listed|the cooler did not keep ice for a day"),
        "use": w("for backpacking|for family camping|for festivals|for fishing trips"),
        "brand": w("Trailhead|Summit Gear|Wildpath|Basecamp|Evergreen Outfitters"),
        "adj": w("Waterproof|Ultralight|4 Person|Insulated|Collapsible"),
        "suffix": w("Green|20L|2 Pack|Orange"),
    },
}

COMMON_WORDS: dict[str, list[str]] = {
    "pos_adj": w("great|excellent|amazing|fantastic|perfect|superb|outstanding|impressive|sturdy|beautiful|"
                 "reliable|wonderful"),
    "neg_adj": w("terrible|flimsy|awful|poor|cheap|useless|disappointing|defective|horrible|badly made"),
    "neu_adj": w("okay|average|fine|acceptable|decent|so-so|mediocre|standard"),
    "pos_adv": w("perfectly|great|flawlessly|beautifully|like a charm|really well"),
    "pos_intro": w("Great|Excellent|Fantastic|Wonderful|Perfect|Awesome|Superb"),
    "neg_intro": w("Very disappointed|Total waste of money|Terrible quality|Not happy at all|Awful|Really bad"),
    "time": w("two weeks|a month|three days|a few uses|six months|one week|two months|a couple of days"),
    "person": w("my wife|my husband|my son|my daughter|my mom|a friend|my dad|my coworker|my sister"),
}

SENTENCES: dict[str, list[str]] = {
    "positive": [
        "I love this {noun}, {good}.",
        "The {feature_is} {pos_adj} and {good}.",
        "Works {pos_adv} {use}.",
        "{pos_intro} {noun} for the price.",
        "Bought it for {person} and it was a hit.",
        "Highly recommend it to anyone who needs a {noun}.",
        "Five stars, {good}.",
        "Very happy with the {feature}.",
        "After {time}, {good}.",
        'The {feature_is} "{pos_adj}" exactly as described.',
        "Arrived quickly and the {feature_is} {pos_adj}.",
        "Best {noun} I have owned, the {feature_is} {pos_adj}.",
        "Honestly, {good}!",
        "I would buy this {noun} again in a heartbeat.",
    ],
    "neutral": [
        "The {noun} is okay for the price.",
        "The {feature_is} {neu_adj}, nothing special.",
        "It does the job {use}.",
        "Not bad, but {bad}.",
        "On one hand {good}, but the {feature_is} {neg_adj}.",
        "Average {noun}, the {feature_is} {neu_adj}.",
        "It is fine, I expected a bit more from the {feature}.",
        "Three stars, it works but the {feature_is} {neu_adj}.",
        "Decent {noun}, although the {feature} could be better.",
        "Arrived on time, the {feature_is} {neu_adj}.",
        "I have mixed feelings about this {noun}.",
    ],
    "negative": [
        "Sadly {bad}.",
        "The {feature_is} {neg_adj}.",
        "After {time}, {bad}.",
        "Do not buy this {noun}.",
        "{neg_intro}, {bad}.",
        "I returned it because the {feature_was} {neg_adj}.",
        'The listing says "{pos_adj}" but the {feature_is} {neg_adj}.',
        "Worst {noun} I have ever bought.",
        "Would not recommend, {bad}.",
        "One star because {bad}.",
        "Nobody answered my emails about the {feature}.",
        "Broke after {time}, {neg_adj} {noun}.",
    ],
}

HEADLINES: dict[str, list[str]] = {
    "positive": ["Great {noun}", "Love it!", "Excellent {noun}", "Highly recommend", "Perfect", "Works great",
                 "Best {noun} ever", "{pos_intro}!", "Very happy"],
    "neutral": ["It's okay", "Decent {noun}", "Average", "Could be better", "Not bad", "Mixed feelings", "Fine"],
    "negative": ["Disappointed", "Do not buy", "Broke after {time}", "Waste of money", "Terrible {noun}",
                 "Not as described", "{neg_intro}"],
}
STAR_HEADLINES = ["One Star", "Two Stars", "Three Stars", "Four Stars", "Five Stars"]
STAR_WORDS = ["one", "two", "three", "four", "five"]

EMOJI: dict[str, list[str]] = {
    "positive": w("😍|👍|❤️|🙂|⭐⭐⭐⭐⭐|🙌"),
    "neutral": w("🤷|😐|🙂"),
    "negative": w("😡|👎|😞|💩|🤬"),
}

SENTIMENTS = ("positive", "neutral", "negative")
# P(sentence sentiment | star rating), rows = stars 1..5, columns = SENTIMENTS.
SENTENCE_SENTIMENT = [
    [0.04, 0.12, 0.84],
    [0.10, 0.25, 0.65],
    [0.28, 0.44, 0.28],
    [0.68, 0.25, 0.07],
    [0.85, 0.12, 0.03],
]
STAR_SHARES = [0.10, 0.06, 0.09, 0.18, 0.57]  # Amazon's J-shaped distribution
