package io.polyarch.build.docker;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Writes to another stream on its own thread, in order, so that the writer goes on producing meanwhile (a layer's
 * copy in the layout is hashed and written while the next chunk is compressed). At most {@link #LIMIT} bytes wait;
 * a writer that gets ahead by more waits for room. A failure of the other stream is thrown by a later
 * {@link #write} or by {@link #close}, which waits for every byte and leaves the other stream open.
 */
final class BackgroundOutputStream extends OutputStream {
    static final int LIMIT = 8 << 20;
    private final OutputStream out;
    private final ExecutorService thread;
    private final Semaphore room = new Semaphore(LIMIT);
    private volatile IOException failure;
    private Future<?> last;

    BackgroundOutputStream(OutputStream out, String name) {
        this.out = out;
        this.thread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[]{(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int done = 0; done < len; ) {
            int n = Math.min(LIMIT, len - done);
            if (failure != null) throw failed();
            try {
                room.acquire(n);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing");
            }
            byte[] copy = Arrays.copyOfRange(b, off + done, off + done + n);
            last = thread.submit(() -> {
                try {
                    if (failure == null) out.write(copy);
                } catch (IOException | RuntimeException e) {
                    failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
                } finally {
                    room.release(copy.length);
                }
            });
            done += n;
        }
    }

    /** Waits until every byte is written to the other stream (which stays open); throws its failure, if any. */
    @Override
    public void close() throws IOException {
        try {
            if (last != null) last.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing");
        } catch (ExecutionException e) {
            throw new IOException(String.valueOf(e.getCause()), e.getCause());
        } finally {
            thread.shutdownNow();
        }
        if (failure != null) throw failed();
    }

    /** The other stream's failure, as a new exception each time (a writer's and its close's are both thrown). */
    private IOException failed() {
        return new IOException(failure.getMessage(), failure);
    }
}
