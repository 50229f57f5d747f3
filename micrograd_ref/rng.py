"""XorShift64*: a tiny portable random generator, specified bit for bit in docs/SPEC.md.

Anything random in the parity catalogue (MLP weights, data points, generated
graphs) comes from here, so a port in any language can rebuild the same graphs
from a seed instead of loading them. It has the two methods nn.MLP uses from
random.Random (``random`` and ``uniform``), so ``MLP(..., rng=XorShift64Star(7))``
builds the catalogue's MLPs.
"""

_MASK = (1 << 64) - 1


class XorShift64Star:
    """state: 64 bits, never 0. seed -> state = splitmix64(seed)."""

    def __init__(self, seed=0):
        z = (int(seed) + 0x9E3779B97F4A7C15) & _MASK  # one splitmix64 step, so seed 0 is fine
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        z ^= z >> 31
        self.state = z or 0x9E3779B97F4A7C15

    def next_u64(self):
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & _MASK
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & _MASK

    def random(self):
        """A float in [0, 1): the top 53 bits of next_u64() times 2**-53 (exact)."""
        return (self.next_u64() >> 11) * (1.0 / 9007199254740992.0)

    def uniform(self, a, b):
        """a + (b - a) * random(), evaluated in that order in float64."""
        return a + (b - a) * self.random()

    def below(self, n):
        """An int in [0, n): next_u64() mod n."""
        return self.next_u64() % n

    def choice(self, seq):
        return seq[self.below(len(seq))]
