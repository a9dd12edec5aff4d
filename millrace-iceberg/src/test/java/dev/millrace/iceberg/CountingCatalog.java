package dev.millrace.iceberg;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.iceberg.BaseTable;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;

/**
 * A catalog that counts into {@code loads} its {@code loadTable} calls and, with {@code countRefreshes}, every
 * {@code refresh} of the tables it loaded: what a batch costs the catalog.
 *
 * <p>Thread-safe as its delegate is; the counter is atomic.
 */
final class CountingCatalog implements Catalog {
    private final Catalog delegate;
    private final AtomicInteger loads;
    private final boolean countRefreshes;

    CountingCatalog(Catalog delegate, AtomicInteger loads, boolean countRefreshes) {
        this.delegate = delegate;
        this.loads = loads;
        this.countRefreshes = countRefreshes;
    }

    @Override
    public Table loadTable(TableIdentifier identifier) {
        Table loaded = delegate.loadTable(identifier);
        loads.incrementAndGet();
        if (!countRefreshes) {
            return loaded;
        }
        return new BaseTable(((HasTableOperations) loaded).operations(), loaded.name()) {
            @Override
            public void refresh() {
                loads.incrementAndGet();
                super.refresh();
            }
        };
    }

    @Override
    public List<TableIdentifier> listTables(Namespace namespace) {
        return delegate.listTables(namespace);
    }

    @Override
    public boolean dropTable(TableIdentifier identifier, boolean purge) {
        return delegate.dropTable(identifier, purge);
    }

    @Override
    public void renameTable(TableIdentifier from, TableIdentifier to) {
        delegate.renameTable(from, to);
    }
}
