import java.io.BufferedInputStream;
import java.io.FileInputStream;

/** Times polyarch's checkpointing gzip inflater on one file (run by bench/inflate.sh with target/classes on the class path). */
public class InflateBench {
    public static void main(String[] args) throws Exception {
        long span = Long.parseLong(args[1]);
        long t0 = System.nanoTime();
        try (var in = new BufferedInputStream(new FileInputStream(args[0]), 1 << 16)) {
            var r = io.polyarch.soci.GzipIndexer.index(in, span, (b, off, len) -> { });
            System.out.printf("%.3f %d %d%n", (System.nanoTime() - t0) / 1e9, r.uncompressedSize(), r.checkpoints().size());
        }
    }
}
