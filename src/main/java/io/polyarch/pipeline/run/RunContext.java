package io.polyarch.pipeline.run;

import io.polyarch.ops.Stores;
import io.polyarch.ops.Workers;
import io.polyarch.store.ContentStore;

/**
 * What every step of one run shares: where stores are opened, the options, the listener, the run's worker pool and
 * the open destination.
 */
record RunContext(Stores stores, RunOptions opts, RunListener listener, Workers workers, ContentStore target) {
}
