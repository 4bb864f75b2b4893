/* Checks floating point: initial x87 CW and MXCSR, float/double/long double results, rounding modes, denormals. */
#include <emmintrin.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include "testlib.h"

static unsigned x87_cw(void)
{
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static unsigned mxcsr(void)
{
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return m;
}

/* SSE2 arithmetic (the rest of the program uses x87, the i386 default) */
__attribute__((target("sse2"))) static double sse_div(double a, double b)
{
    return _mm_cvtsd_f64(_mm_div_sd(_mm_set_sd(a), _mm_set_sd(b)));
}

__attribute__((target("sse2"))) static double sse_mul(double a, double b)
{
    return _mm_cvtsd_f64(_mm_mul_sd(_mm_set_sd(a), _mm_set_sd(b)));
}

static const char *mode_name(int m)
{
    switch (m) {
    case FE_TONEAREST: return "FE_TONEAREST";
    case FE_UPWARD: return "FE_UPWARD";
    case FE_DOWNWARD: return "FE_DOWNWARD";
    case FE_TOWARDZERO: return "FE_TOWARDZERO";
    default: return "?";
    }
}

int main(void)
{
    /* first thing: the control registers as the program received them */
    unsigned cw0 = x87_cw(), mx0 = mxcsr();
    printf("x87 control word at main: 0x%04x\n", cw0);
    printf("MXCSR at main: 0x%08x\n", mx0);

    volatile float f1 = 1.0f, f3 = 3.0f, f2 = 2.0f;
    volatile double d1 = 1.0, d2 = 2.0, d3 = 3.0, dx = 0.5;
    volatile long double l1 = 1.0L, l3 = 3.0L, l2 = 2.0L;

    volatile float fq = f1 / f3, fs = sqrtf(f2); /* stored: rounded to float even on x87 */
    printf("float  1/3     = %a\n", (double)fq);
    printf("float  sqrt(2) = %a\n", (double)fs);
    printf("double 1/3     = %a\n", (double)(d1 / d3));
    printf("double sqrt(2) = %a\n", sqrt(d2));
    printf("double sin(0.5)= %a\n", sin(dx));
    printf("double exp(0.5)= %a\n", exp(dx));
    printf("double log(3)  = %a\n", log(d3));
    printf("double atan2(1,3)= %a\n", atan2(d1, d3));
    printf("long double 1/3     = %La\n", l1 / l3);
    printf("long double sqrt(2) = %La\n", sqrtl(l2));
    printf("long double sinl(1) = %La\n", sinl(l1));
    printf("%%.17g of 0.1+0.2 (double) = %.17g\n", (double)(d1 / 10 + d2 / 10));
    printf("SSE2 1/3 = %a\n", sse_div(d1, d3));
    check("LDBL_MANT_DIG == 64 (x87 extended)", LDBL_MANT_DIG == 64);

    /* rounding modes: x87 and SSE both follow fesetround */
    static const int modes[] = { FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO };
    for (int i = 0; i < 4; i++) {
        check(mode_name(modes[i]), fesetround(modes[i]) == 0);
        printf("  fegetround matches: %s, x87 CW=0x%04x MXCSR=0x%08x\n",
               fegetround() == modes[i] ? "yes" : "no", x87_cw(), mxcsr());
        printf("  x87 double 1/3=%a -1/3=%a  SSE2 1/3=%a  rint(2.5)=%g rint(-2.5)=%g\n",
               (double)(d1 / d3), (double)(-d1 / d3), sse_div(d1, d3), rint(2.5 * d1), rint(-2.5 * d1));
    }
    fesetround(FE_TONEAREST);
    volatile double up, down;
    fesetround(FE_UPWARD);
    up = d1 / d3;
    fesetround(FE_DOWNWARD);
    down = d1 / d3;
    fesetround(FE_TONEAREST);
    check("FE_UPWARD 1/3 > FE_DOWNWARD 1/3", up > down);
    /* MXCSR bits 0-5 are sticky exception flags (the divisions above set PE), compare the rest */
    check("control words restored after FE_TONEAREST", x87_cw() == cw0 && (mxcsr() & ~0x3fu) == (mx0 & ~0x3fu));

    /* denormals (subnormals) */
    volatile double tiny = DBL_MIN, half = 0.5;
    double sub = tiny * half;
    printf("DBL_MIN/2 = %a\n", sub);
    check("DBL_MIN/2 is subnormal (x87)", fpclassify(sub) == FP_SUBNORMAL);
    double sse_sub = sse_mul(tiny, half);
    check("DBL_MIN/2 is subnormal (SSE2, no flush-to-zero)", fpclassify(sse_sub) == FP_SUBNORMAL && sse_sub == sub);
    volatile double denorm_min = 0x1p-1074;
    volatile double halved = denorm_min / 2; /* stored: rounded to double even on x87 */
    check("smallest subnormal 0x1p-1074 / 2 rounds to 0", halved == 0.0);
    check("smallest subnormal * 2^1000 == 2^-74 (SSE2, no denormals-are-zero)", sse_mul(denorm_min, 0x1p1000) == 0x1p-74);
    volatile float ftiny = FLT_MIN;
    volatile float fsub = ftiny / 4;
    printf("FLT_MIN/4 = %a\n", (double)fsub);
    check("FLT_MIN/4 is subnormal", fpclassify(fsub) == FP_SUBNORMAL);

    /* exception flags */
    feclearexcept(FE_ALL_EXCEPT);
    volatile double zero = 0.0;
    volatile double inf = d1 / zero;
    check("1/0 is +inf and raises FE_DIVBYZERO", isinf(inf) && inf > 0 && fetestexcept(FE_DIVBYZERO));
    feclearexcept(FE_ALL_EXCEPT);
    volatile double nan_ = zero / zero;
    check("0/0 is NaN and raises FE_INVALID", isnan(nan_) && fetestexcept(FE_INVALID));
    feclearexcept(FE_ALL_EXCEPT);

    return finish_checks();
}
