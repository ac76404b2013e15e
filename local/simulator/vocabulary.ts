/**
 * The words the synthetic catalogue is made of. Titles are `<adjective> <material> <noun>`
 * ("Blue Linen Shirt", "Compact Cast Iron Frying Pan"); searches reuse the same words, so a
 * query for "linen shirt" has real matches.
 */

export interface SubcategoryTemplate {
  /** Slug used in `categories` ("power-tools"). */
  readonly slug: string;
  readonly nouns: readonly string[];
}

export interface CategoryTemplate {
  /** Top-level category slug, in the shop's language ("kitchen"). */
  readonly name: string;
  readonly adjectives: readonly string[];
  readonly materials: readonly string[];
  readonly subcategories: readonly SubcategoryTemplate[];
  /** Plausible unit price range in EUR. */
  readonly priceRange: readonly [number, number];
}

const colours = ['Blue', 'Red', 'Green', 'Black', 'White', 'Grey', 'Navy', 'Olive', 'Sand', 'Cream', 'Coral', 'Teal'];

/** Ordered by how likely a small shop is to carry the category; `categoryCount` takes a prefix. */
export const CATEGORY_TEMPLATES: readonly CategoryTemplate[] = [
  {
    name: 'apparel',
    adjectives: colours,
    materials: ['Linen', 'Cotton', 'Wool', 'Denim', 'Corduroy', 'Fleece'],
    subcategories: [
      { slug: 'shirts', nouns: ['Shirt', 'Blouse', 'Polo'] },
      { slug: 'trousers', nouns: ['Chinos', 'Jeans', 'Trousers'] },
      { slug: 'knitwear', nouns: ['Sweater', 'Cardigan', 'Hoodie'] },
      { slug: 'outerwear', nouns: ['Jacket', 'Parka', 'Raincoat'] },
    ],
    priceRange: [15, 180],
  },
  {
    name: 'shoes',
    adjectives: colours,
    materials: ['Leather', 'Suede', 'Canvas', 'Mesh', 'Rubber'],
    subcategories: [
      { slug: 'sneakers', nouns: ['Sneaker', 'Trainer', 'Court Shoe'] },
      { slug: 'boots', nouns: ['Boot', 'Chelsea Boot', 'Hiking Boot'] },
      { slug: 'sandals', nouns: ['Sandal', 'Slide', 'Espadrille'] },
      { slug: 'formal-shoes', nouns: ['Loafer', 'Oxford', 'Derby'] },
    ],
    priceRange: [25, 220],
  },
  {
    name: 'kitchen',
    adjectives: ['Compact', 'Classic', 'Professional', 'Everyday', 'Large', 'Nordic'],
    materials: ['Stainless Steel', 'Cast Iron', 'Ceramic', 'Bamboo', 'Copper', 'Silicone'],
    subcategories: [
      { slug: 'cookware', nouns: ['Frying Pan', 'Saucepan', 'Wok', 'Casserole'] },
      { slug: 'knives', nouns: ['Chef Knife', 'Bread Knife', 'Paring Knife'] },
      { slug: 'utensils', nouns: ['Spatula', 'Whisk', 'Ladle', 'Tongs'] },
      { slug: 'appliances', nouns: ['Kettle', 'Toaster', 'Blender', 'Hand Mixer'] },
    ],
    priceRange: [6, 250],
  },
  {
    name: 'garden',
    adjectives: ['Sturdy', 'Folding', 'Weatherproof', 'Compact', 'Large', 'Green'],
    materials: ['Steel', 'Teak', 'Aluminium', 'Terracotta', 'Rattan', 'Galvanised'],
    subcategories: [
      { slug: 'garden-tools', nouns: ['Spade', 'Rake', 'Trowel', 'Pruner'] },
      { slug: 'watering', nouns: ['Hose', 'Watering Can', 'Sprinkler'] },
      { slug: 'garden-furniture', nouns: ['Bench', 'Lounger', 'Parasol'] },
      { slug: 'planters', nouns: ['Planter', 'Raised Bed', 'Window Box'] },
    ],
    priceRange: [5, 400],
  },
  {
    name: 'toys',
    adjectives: ['Colourful', 'Giant', 'Mini', 'Classic', 'Deluxe', 'Junior'],
    materials: ['Wooden', 'Plush', 'Cardboard', 'Recycled', 'Foam', 'Magnetic'],
    subcategories: [
      { slug: 'building-toys', nouns: ['Block Set', 'Marble Run', 'Construction Kit'] },
      { slug: 'soft-toys', nouns: ['Teddy Bear', 'Bunny', 'Dragon'] },
      { slug: 'games', nouns: ['Board Game', 'Puzzle', 'Card Game'] },
      { slug: 'outdoor-toys', nouns: ['Kite', 'Scooter', 'Water Blaster'] },
    ],
    priceRange: [5, 120],
  },
  {
    name: 'electronics',
    adjectives: ['Wireless', 'Portable', 'Compact', 'Pro', 'Slim', 'Noise-Cancelling'],
    materials: ['Bluetooth', 'USB-C', 'Aluminium', 'Graphite', 'Silver', 'Matte Black'],
    subcategories: [
      { slug: 'audio', nouns: ['Headphones', 'Earbuds', 'Speaker', 'Soundbar'] },
      { slug: 'computing', nouns: ['Keyboard', 'Mouse', 'Monitor', 'Webcam'] },
      { slug: 'phone-accessories', nouns: ['Phone Case', 'Charger', 'Power Bank'] },
      { slug: 'smart-home', nouns: ['Smart Plug', 'Smart Bulb', 'Doorbell Camera'] },
    ],
    priceRange: [10, 900],
  },
  {
    name: 'beauty',
    adjectives: ['Hydrating', 'Gentle', 'Radiant', 'Nourishing', 'Daily', 'Intense'],
    materials: ['Rose', 'Aloe', 'Argan', 'Vanilla', 'Citrus', 'Lavender'],
    subcategories: [
      { slug: 'skincare', nouns: ['Face Cream', 'Serum', 'Cleanser'] },
      { slug: 'haircare', nouns: ['Shampoo', 'Conditioner', 'Hair Oil'] },
      { slug: 'makeup', nouns: ['Lipstick', 'Mascara', 'Foundation'] },
      { slug: 'fragrance', nouns: ['Eau de Parfum', 'Body Mist', 'Scented Candle'] },
    ],
    priceRange: [4, 110],
  },
  {
    name: 'sports',
    adjectives: ['Lightweight', 'Pro', 'Training', 'Breathable', 'Adjustable', 'Reflective'],
    materials: ['Neoprene', 'Mesh', 'Rubber', 'Steel', 'Nylon', 'Foam'],
    subcategories: [
      { slug: 'fitness', nouns: ['Yoga Mat', 'Kettlebell', 'Resistance Band', 'Dumbbell'] },
      { slug: 'cycling', nouns: ['Bike Helmet', 'Bike Light', 'Cycling Jersey'] },
      { slug: 'running', nouns: ['Running Shorts', 'Running Vest', 'Water Bottle'] },
      { slug: 'team-sports', nouns: ['Football', 'Basketball', 'Shin Guards'] },
    ],
    priceRange: [8, 300],
  },
  {
    name: 'decor',
    adjectives: colours,
    materials: ['Brass', 'Glass', 'Velvet', 'Jute', 'Marble', 'Oak'],
    subcategories: [
      { slug: 'lighting', nouns: ['Table Lamp', 'Floor Lamp', 'Pendant Light'] },
      { slug: 'textiles', nouns: ['Cushion', 'Throw', 'Rug', 'Curtain'] },
      { slug: 'wall-art', nouns: ['Poster', 'Mirror', 'Picture Frame'] },
      { slug: 'vases', nouns: ['Vase', 'Candle Holder', 'Bowl'] },
    ],
    priceRange: [8, 350],
  },
  {
    name: 'furniture',
    adjectives: ['Modern', 'Vintage', 'Scandinavian', 'Compact', 'Extendable', 'Classic'],
    materials: ['Oak', 'Walnut', 'Pine', 'Velvet', 'Metal', 'Rattan'],
    subcategories: [
      { slug: 'seating', nouns: ['Armchair', 'Sofa', 'Stool'] },
      { slug: 'tables', nouns: ['Coffee Table', 'Dining Table', 'Side Table'] },
      { slug: 'storage', nouns: ['Bookcase', 'Sideboard', 'Wardrobe'] },
      { slug: 'beds', nouns: ['Bed Frame', 'Headboard', 'Bunk Bed'] },
    ],
    priceRange: [40, 1500],
  },
  {
    name: 'bed-and-bath',
    adjectives: colours,
    materials: ['Cotton', 'Linen', 'Bamboo', 'Waffle', 'Percale', 'Terry'],
    subcategories: [
      { slug: 'bedding', nouns: ['Duvet Cover', 'Pillow', 'Fitted Sheet', 'Duvet'] },
      { slug: 'bath', nouns: ['Bath Towel', 'Bath Mat', 'Bathrobe'] },
      { slug: 'sleepwear', nouns: ['Pyjamas', 'Nightshirt', 'Slippers'] },
    ],
    priceRange: [10, 200],
  },
  {
    name: 'books',
    adjectives: ['Illustrated', 'Pocket', 'Hardcover', 'Paperback', 'Collected', 'Complete'],
    materials: ['Nordic', 'Italian', 'Garden', 'Ocean', 'Mountain', 'Midnight'],
    subcategories: [
      { slug: 'fiction', nouns: ['Novel', 'Short Stories', 'Thriller'] },
      { slug: 'cookbooks', nouns: ['Cookbook', 'Baking Book'] },
      { slug: 'travel-guides', nouns: ['City Guide', 'Road Atlas', 'Hiking Guide'] },
      { slug: 'childrens-books', nouns: ['Picture Book', 'Activity Book', 'Bedtime Stories'] },
    ],
    priceRange: [6, 60],
  },
  {
    name: 'pantry',
    adjectives: ['Organic', 'Single-Origin', 'Fair Trade', 'Roasted', 'Classic', 'Premium'],
    materials: ['Ethiopian', 'Colombian', 'Sicilian', 'Alpine', 'Smoky', 'Honey'],
    subcategories: [
      { slug: 'coffee', nouns: ['Coffee Beans', 'Ground Coffee', 'Espresso Pods'] },
      { slug: 'tea', nouns: ['Green Tea', 'Black Tea', 'Herbal Tea'] },
      { slug: 'snacks', nouns: ['Granola', 'Dark Chocolate', 'Trail Mix'] },
      { slug: 'oils-and-vinegars', nouns: ['Olive Oil', 'Balsamic Vinegar'] },
    ],
    priceRange: [3, 45],
  },
  {
    name: 'pets',
    adjectives: ['Cosy', 'Durable', 'Washable', 'Large', 'Small', 'Chew-Proof'],
    materials: ['Fleece', 'Rope', 'Rubber', 'Ceramic', 'Nylon', 'Sisal'],
    subcategories: [
      { slug: 'dogs', nouns: ['Dog Bed', 'Dog Leash', 'Dog Toy', 'Dog Bowl'] },
      { slug: 'cats', nouns: ['Cat Tree', 'Cat Toy', 'Litter Box'] },
      { slug: 'aquarium', nouns: ['Aquarium', 'Aquarium Filter'] },
      { slug: 'birds', nouns: ['Bird Feeder', 'Bird House'] },
    ],
    priceRange: [4, 180],
  },
  {
    name: 'baby',
    adjectives: ['Soft', 'Organic', 'Foldable', 'Gentle', 'Tiny', 'Snug'],
    materials: ['Cotton', 'Muslin', 'Bamboo', 'Merino', 'Beech', 'Silicone'],
    subcategories: [
      { slug: 'nursery', nouns: ['Crib', 'Changing Mat', 'Night Light'] },
      { slug: 'feeding', nouns: ['Baby Bottle', 'High Chair', 'Bib'] },
      { slug: 'strollers', nouns: ['Stroller', 'Baby Carrier'] },
      { slug: 'baby-clothing', nouns: ['Romper', 'Sleepsuit', 'Baby Hat'] },
    ],
    priceRange: [6, 600],
  },
  {
    name: 'office',
    adjectives: ['Ergonomic', 'Minimal', 'Refillable', 'Adjustable', 'Classic', 'Compact'],
    materials: ['Recycled Paper', 'Leather', 'Bamboo', 'Aluminium', 'Felt', 'Mesh'],
    subcategories: [
      { slug: 'stationery', nouns: ['Notebook', 'Fountain Pen', 'Planner'] },
      { slug: 'desk-accessories', nouns: ['Desk Organizer', 'Desk Lamp', 'Monitor Stand'] },
      { slug: 'office-chairs', nouns: ['Office Chair', 'Kneeling Stool'] },
    ],
    priceRange: [3, 450],
  },
  {
    name: 'tools',
    adjectives: ['Cordless', 'Heavy-Duty', 'Compact', 'Precision', 'Pro', 'Magnetic'],
    materials: ['18V', 'Steel', 'Chrome Vanadium', 'Fibreglass', 'Brushless', 'Titanium'],
    subcategories: [
      { slug: 'power-tools', nouns: ['Drill', 'Jigsaw', 'Sander'] },
      { slug: 'hand-tools', nouns: ['Hammer', 'Screwdriver Set', 'Wrench'] },
      { slug: 'measuring', nouns: ['Tape Measure', 'Spirit Level', 'Laser Measure'] },
    ],
    priceRange: [6, 350],
  },
  {
    name: 'outdoor',
    adjectives: ['Ultralight', 'Waterproof', 'Four-Season', 'Packable', 'Insulated', 'Compact'],
    materials: ['Ripstop', 'Down', 'Nylon', 'Titanium', 'Canvas', 'Merino'],
    subcategories: [
      { slug: 'tents', nouns: ['Tent', 'Tarp', 'Bivy'] },
      { slug: 'sleeping', nouns: ['Sleeping Bag', 'Sleeping Mat'] },
      { slug: 'backpacks', nouns: ['Backpack', 'Daypack'] },
      { slug: 'camp-kitchen', nouns: ['Camping Stove', 'Cook Set', 'Flask'] },
    ],
    priceRange: [12, 600],
  },
  {
    name: 'jewellery',
    adjectives: ['Delicate', 'Vintage', 'Minimal', 'Bold', 'Twisted', 'Engraved'],
    materials: ['Silver', 'Gold-Plated', 'Rose Gold', 'Pearl', 'Enamel', 'Sterling'],
    subcategories: [
      { slug: 'necklaces', nouns: ['Necklace', 'Pendant', 'Chain'] },
      { slug: 'rings', nouns: ['Ring', 'Signet Ring'] },
      { slug: 'earrings', nouns: ['Earrings', 'Hoops', 'Studs'] },
      { slug: 'watches', nouns: ['Watch', 'Watch Strap'] },
    ],
    priceRange: [15, 500],
  },
  {
    name: 'bags',
    adjectives: colours,
    materials: ['Leather', 'Canvas', 'Nylon', 'Suede', 'Recycled', 'Waxed Cotton'],
    subcategories: [
      { slug: 'handbags', nouns: ['Tote', 'Shoulder Bag', 'Clutch'] },
      { slug: 'luggage', nouns: ['Suitcase', 'Duffel Bag', 'Weekender'] },
      { slug: 'wallets', nouns: ['Wallet', 'Card Holder'] },
    ],
    priceRange: [15, 400],
  },
  {
    name: 'music',
    adjectives: ['Acoustic', 'Vintage', 'Student', 'Studio', 'Travel', 'Classic'],
    materials: ['Spruce', 'Mahogany', 'Rosewood', 'Maple', 'Nickel', 'Nylon'],
    subcategories: [
      { slug: 'instruments', nouns: ['Guitar', 'Ukulele', 'Keyboard Piano'] },
      { slug: 'music-accessories', nouns: ['Guitar Strings', 'Capo', 'Music Stand'] },
      { slug: 'vinyl', nouns: ['Vinyl Record', 'Record Cleaner', 'Turntable'] },
    ],
    priceRange: [5, 900],
  },
  {
    name: 'gaming',
    adjectives: ['Wireless', 'RGB', 'Pro', 'Ergonomic', 'Compact', 'Tournament'],
    materials: ['Mechanical', 'Optical', 'Carbon', 'Matte', 'Braided', 'Aluminium'],
    subcategories: [
      { slug: 'controllers', nouns: ['Controller', 'Arcade Stick', 'Charging Dock'] },
      { slug: 'pc-gaming', nouns: ['Gaming Mouse', 'Gaming Keyboard', 'Mouse Pad'] },
      { slug: 'headsets', nouns: ['Gaming Headset', 'Microphone'] },
    ],
    priceRange: [10, 300],
  },
  {
    name: 'car',
    adjectives: ['Universal', 'Heavy-Duty', 'Compact', 'All-Weather', 'Quick-Dry', 'Premium'],
    materials: ['Microfibre', 'Rubber', 'Carbon', 'Leather', 'Ceramic', 'Lithium'],
    subcategories: [
      { slug: 'car-care', nouns: ['Car Shampoo', 'Polishing Cloth', 'Car Wax'] },
      { slug: 'car-accessories', nouns: ['Phone Mount', 'Seat Cover', 'Floor Mat'] },
      { slug: 'roadside', nouns: ['Jump Starter', 'Tyre Inflator', 'Warning Triangle'] },
    ],
    priceRange: [5, 250],
  },
  {
    name: 'health',
    adjectives: ['Daily', 'Gentle', 'Advanced', 'Travel', 'Family', 'Sensitive'],
    materials: ['Vitamin', 'Herbal', 'Digital', 'Thermal', 'Magnesium', 'Zinc'],
    subcategories: [
      { slug: 'supplements', nouns: ['Multivitamin', 'Capsules', 'Omega-3'] },
      { slug: 'wellness', nouns: ['Massage Gun', 'Heating Pad', 'Foam Roller'] },
      { slug: 'first-aid', nouns: ['First Aid Kit', 'Thermometer', 'Plasters'] },
    ],
    priceRange: [4, 200],
  },
  {
    name: 'crafts',
    adjectives: ['Beginner', 'Artist', 'Jumbo', 'Pastel', 'Vivid', 'Eco'],
    materials: ['Watercolour', 'Acrylic', 'Merino', 'Cotton', 'Linen', 'Clay'],
    subcategories: [
      { slug: 'painting', nouns: ['Paint Set', 'Brush Set', 'Canvas Pad'] },
      { slug: 'knitting', nouns: ['Yarn', 'Knitting Needles', 'Knitting Kit'] },
      { slug: 'sewing', nouns: ['Sewing Kit', 'Fabric Bundle', 'Pin Cushion'] },
    ],
    priceRange: [3, 120],
  },
  {
    name: 'party',
    adjectives: ['Glitter', 'Metallic', 'Pastel', 'Rainbow', 'Gold', 'Neon'],
    materials: ['Paper', 'Foil', 'Latex', 'Bamboo', 'Satin', 'Felt'],
    subcategories: [
      { slug: 'decorations', nouns: ['Balloon Set', 'Garland', 'Bunting'] },
      { slug: 'tableware', nouns: ['Paper Plates', 'Napkins', 'Cups'] },
      { slug: 'costumes', nouns: ['Costume', 'Party Hat', 'Mask'] },
    ],
    priceRange: [2, 60],
  },
];

/** Closing sentences for item descriptions. */
export const DESCRIPTION_PHRASES = [
  'A customer favourite.',
  'Made to last.',
  'Free returns within 30 days.',
  'Designed in Europe.',
  'Ships within two working days.',
  'Thoughtfully made from responsibly sourced materials.',
  'Easy to care for.',
  'A great gift.',
] as const;
