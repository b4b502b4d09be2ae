/* Lower bound of key in the ascending prefix of a sorted table (the table is sorted here first, so any input works). */
static void sort_small(long *v, int n)
{
    for (int i = 1; i < n; i++) {
        long key = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > key) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = key;
    }
}

// ncc: len(v)=n out(v) range(n)=0..32 range(key)=-1000..1000
int binary_search(long *v, int n, long key)
{
    sort_small(v, n);
    int lo = 0;
    int hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}
