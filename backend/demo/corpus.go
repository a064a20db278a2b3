package demo

// The continued-pretraining demo's corpus: raw text about an invented
// craft, the tide-glass of the island of Sennick, written for Whetstone.
// Nothing in it exists, so whatever the model learns of its words and
// facts comes from this text. The training files and the held-out file
// share the craft's vocabulary (tide-glass, breath-kiln, kelp ash, the
// paddle-iron...) but not their sentences: the held-out loss falls as the
// model learns the field, not by recalling a paragraph it saw.

// corpusFile is one .txt file of the demo corpus.
type corpusFile struct {
	Name string
	Text string
}

// corpusTrain are the training files (continued pretraining reads a
// folder of .txt files, one row per file, cut into max_seq_len pieces).
var corpusTrain = []corpusFile{
	{"01-the-island.txt", `Sennick is a small island of grey dunes and salt marsh, and it is known for one thing: tide-glass. The glassmakers of Sennick gather their sand at low tide, when the sea pulls back and leaves a pale band of fine grains along the eastern shore. They say the sand must be taken wet and carried in wooden pails, never in iron ones, or the glass will cloud.

Tide-glass is green when it is thin and nearly black when it is thick. Held against the light, a good piece shows faint lines like the ripples the water leaves on the sand. The makers call these lines the tide marks, and a piece without them is sold as common glass.

The island has seven glass houses. Each house keeps its own breath-kiln, a round kiln of stacked stone with a single mouth that faces the sea wind. The wind feeds the fire, and the makers say the kiln breathes with the tide.`},
	{"02-the-making.txt", `To make tide-glass, the sand is first washed in rain water and dried on slate for three days. Then it is mixed with kelp ash, which the makers burn from the brown kelp that washes up after the autumn storms. One measure of kelp ash to four measures of sand is the common rule, though every house keeps its own mixture secret.

The mixture is melted in the breath-kiln in a clay pot called a crucible. A firing lasts from dusk until the next low tide. When the melt is ready, the maker gathers a lump of hot glass on the end of a long iron pipe and blows it into a bubble. The bubble is rolled on a flat stone, shaped with the paddle-iron and pulled with the drawing hook.

A finished piece cools slowly in the ash pit beside the kiln. If it cools too fast it cracks, so the makers cover it with warm ash and leave it for a night and a day. Only then is it lifted out and washed in sea water, which brings out the tide marks.`},
	{"03-the-tools.txt", `The paddle-iron is a flat blade of iron with a wooden handle, used to press and flatten the hot glass. The makers wet it in a bucket of sea water before each use, and the hiss of the wet paddle-iron on the glass is the sound most people remember from the glass houses.

The drawing hook is a thin bent rod used to pull threads of glass from the melt. Tide-glass beads are made this way: a thread is drawn, wound around a copper wire and cut when it has cooled. A skilled maker can draw a thread as long as her arm without breaking it.

Every maker owns a marking stone, a small flat pebble from the shore with a sign scratched into it. The stone is pressed into the base of each piece while the glass is still soft, so that anyone can tell which house made it.`},
	{"04-the-seasons.txt", `The glass year on Sennick follows the moon. The largest firings happen at the low-moon tides in spring and autumn, when the sea draws back the farthest and the widest band of sand is uncovered. The makers call these the great firings, and the whole island helps to carry sand.

In winter the breath-kilns are banked low and the makers repair their crucibles and grind new marking stones. In summer they make beads and small cups for the traders who come by boat from the mainland. The traders pay in salt, cloth and copper wire.

Children on Sennick learn the craft by carrying pails of sand and feeding the kiln with driftwood. A child who can tell good sand from bad by its sound when poured is said to have the glass ear, and is taken into a glass house as an apprentice.`},
}

// corpusHeldOut is the validation text: new sentences about the same
// craft, never trained on.
var corpusHeldOut = corpusFile{"held-out.txt", `A tide-glass bowl from the oldest glass house on Sennick is green at its rim and nearly black at its base. Its tide marks run in rings around the bowl, and the sign of the house is pressed into the base with a marking stone.

The makers of that house still gather their sand at the low-moon tides and carry it in wooden pails. They burn their own kelp ash after the autumn storms and fire the melt in a breath-kiln that faces the sea wind. A bowl is shaped with the paddle-iron, cooled for a night and a day in warm ash, and washed in sea water before it is sold to the traders from the mainland.`}
