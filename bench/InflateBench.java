import java.io.BufferedInputStream;
import java.io.FileInputStream;

/**
 * Times polyarch's zTOC generation for one gzip tar layer: inflate with checkpoints, span digests and the TOC in
 * one pass (run by bench/inflate.sh with target/classes on the class path).
 */
public class InflateBench {
    public static void main(String[] args) throws Exception {
        long span = Long.parseLong(args[1]);
        long t0 = System.nanoTime();
        try (var in = new BufferedInputStream(new FileInputStream(args[0]), 1 << 16)) {
            var b = io.polyarch.soci.ZtocBuilder.fromGzipTar(in, span, "polyarch bench");
            System.out.printf("%.3f %d files, %d spans, zTOC %d bytes%n", (System.nanoTime() - t0) / 1e9, b.ztoc().files().size(),
                    b.ztoc().maxSpanId() + 1, b.bytes().length);
        }
    }
}
