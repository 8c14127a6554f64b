package io.polyarch.ops;

import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectorTest {
    @Test
    void aHugeIndexIsListedWholeButOnlyItsFirstThousandChildrenAreChecked(@TempDir Path dir) throws Exception {
        Path layout = dir.resolve("layout");
        RawManifest index;
        try (OciLayoutStore s = OciLayoutStore.open(layout, true)) {
            byte[] cfg = "{\"architecture\":\"arm64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}".getBytes(StandardCharsets.UTF_8);
            Descriptor c = Descriptor.of(MediaType.OCI_CONFIG, cfg);
            s.putBlob(c, () -> new ByteArrayInputStream(cfg));
            RawManifest image = RawManifest.of(MediaType.OCI_MANIFEST, OciJson.write(new ImageManifest(MediaType.OCI_MANIFEST, c, List.of(), null, null, Map.of())));
            s.putManifest(image, null);
            List<Descriptor> children = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) children.add(image.descriptor().withPlatform(Platform.LINUX_ARM64));
            index = RawManifest.of(MediaType.OCI_INDEX, OciJson.write(new ImageIndex(MediaType.OCI_INDEX, children, null, null, null)));
            s.putManifest(index, "huge");
        }
        AtomicInteger reads = new AtomicInteger();
        Stores stores = new Stores() {
            @Override
            public ContentStore open(StoreRef ref, boolean write) throws StoreException {
                OciLayoutStore real = OciLayoutStore.open(layout, false);
                return (ContentStore) java.lang.reflect.Proxy.newProxyInstance(ContentStore.class.getClassLoader(), new Class<?>[]{ContentStore.class},
                        (p, m, args) -> {
                            if (m.getName().equals("getManifest") || m.getName().equals("openBlob")) reads.incrementAndGet();
                            try {
                                return m.invoke(real, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            }

            @Override
            public boolean plainHttp(String registry) {
                return true;
            }

            @Override
            public void close() {
            }
        };
        Inspector.Report r = new Inspector(stores).inspect(StoreRef.parse("oci:" + layout + ":huge"));
        assertEquals(10_000, r.children().size(), "every child listed");
        assertEquals(Inspector.MAX_CHECKED, r.children().stream().filter(Inspector.ChildReport::checked).count());
        assertTrue(r.allAgree());
        assertTrue(reads.get() <= 2 * Inspector.MAX_CHECKED + 5, "bounded requests: " + reads.get());
    }
}
