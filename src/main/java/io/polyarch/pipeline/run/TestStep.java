package io.polyarch.pipeline.run;

/**
 * A cell's test job: the config's test commands run inside the built image, for its platform (under QEMU for a
 * foreign one). A reused image is not tested again: it passed when it was built.
 */
final class TestStep {
    private final RunListener listener;

    TestStep(RunListener listener) {
        this.listener = listener;
    }

    void run(CellJob j, CellState c) throws Exception {
        if (c.reused != null) {
            listener.log(j.name(), "test: not run again: the reused image passed its tests when it was built");
            return;
        }
        for (String cmd : j.test().commands()) {
            j.builder().test(c.output, j.platform(), cmd, j.test().timeout(), line -> listener.log(j.name(), "test: " + line));
        }
    }
}
