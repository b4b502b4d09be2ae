/* Centroid of integer points given as an array of structs; writes it to *c, returns the bounding-box area modulo 1000003. */
struct point {
    int x;
    int y;
};

// ncc: len(pts)=n len(c)=1 out(c) range(n)=1..32
long point_centroid(const struct point *pts, int n, struct point *c)
{
    long sx = 0;
    long sy = 0;
    int minx = pts[0].x, maxx = pts[0].x, miny = pts[0].y, maxy = pts[0].y;
    for (int i = 0; i < n; i++) {
        sx += pts[i].x;
        sy += pts[i].y;
        minx = pts[i].x < minx ? pts[i].x : minx;
        maxx = pts[i].x > maxx ? pts[i].x : maxx;
        miny = pts[i].y < miny ? pts[i].y : miny;
        maxy = pts[i].y > maxy ? pts[i].y : maxy;
    }
    c->x = (int)(sx / n);
    c->y = (int)(sy / n);
    unsigned long w = (unsigned long)((long)maxx - minx);
    unsigned long h = (unsigned long)((long)maxy - miny);
    return (long)(w * h % 1000003u);
}
