// Checks Activations.Tanh against double-precision tanh on every positive float (the function is odd, so the
// negative half mirrors it bit for bit). The scalar code repeats the vector kernel's operations in the same order:
// each fmaf is one FMA, so every lane of the 256- and 512-bit forms gives these bits.
//
// gcc -O2 -o tanh_accuracy tanh_accuracy.c -lm && ./tanh_accuracy     (about three minutes)
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static float rational_tanh(float x)
{
    // minps/maxps semantics: a NaN input passes through (the vector form returns its second operand).
    x = x > 7.93219709f ? 7.93219709f : x;
    float s = x * x;
    float p = -2.76076847742355e-16f, q = 1.19825839466702e-06f;
    p = fmaf(p, s, 2.00018790482477e-13f);
    p = fmaf(p, s, -8.60467152213735e-11f);
    p = fmaf(p, s, 5.12229709037114e-08f);
    p = fmaf(p, s, 1.48572235717979e-05f);
    p = fmaf(p, s, 6.37261928875436e-04f);
    p = fmaf(p, s, 4.89352455891786e-03f);
    q = fmaf(q, s, 1.18534705686654e-04f);
    q = fmaf(q, s, 2.26843463243900e-03f);
    q = fmaf(q, s, 4.89352518554385e-03f);
    return x * (p / q);
}

int main(void)
{
    double worst_relative = 0, worst_ulp = 0;
    float relative_at = 0, ulp_at = 0, largest = 0;
    for (uint32_t bits = 1; bits < 0x7f800000u; bits++)
    {
        float x;
        memcpy(&x, &bits, sizeof x);
        float y = rational_tanh(x);
        double exact = tanh((double)x);
        double error = fabs((double)y - exact);
        float rounded = (float)exact;
        double ulp = error / (nextafterf(rounded, INFINITY) - rounded);
        if (error / exact > worst_relative) { worst_relative = error / exact; relative_at = x; }
        if (ulp > worst_ulp) { worst_ulp = ulp; ulp_at = x; }
        if (y > largest) largest = y;
    }
    printf("max relative error %.3g at x = %.9g; max %.2f ulp at x = %.9g; largest result %.9g; tanh(inf) = %.9g\n",
           worst_relative, relative_at, worst_ulp, ulp_at, largest, rational_tanh(INFINITY));
    return 0;
}
