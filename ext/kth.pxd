# The k-th smallest value of a buffer, for the kernels that need medians and
# quantiles (estimate_dsp, fsk_dsp): one selection for float and double.

ctypedef fused real:
    float
    double


cdef inline real kth_smallest(real* a, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    """The k-th smallest of a[0..n) (Hoare's selection; reorders ``a``: afterwards
    a[0..k) <= a[k] <= a[k+1..n))."""
    cdef Py_ssize_t lo = 0, hi = n - 1, i, j
    cdef real pivot, tmp
    while lo < hi:
        pivot = a[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                tmp = a[i]
                a[i] = a[j]
                a[j] = tmp
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]
