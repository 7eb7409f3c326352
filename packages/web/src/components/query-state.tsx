import type { InfiniteData, UseInfiniteQueryResult, UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import type { Page } from "../lib/types.ts";
import { ErrorState, LoadMore, Loading } from "./ui.tsx";

/** A query's loading and error states (with a retry), `empty` when `isEmpty` says so, else what `children` makes of its data. */
export function QueryState<T>({
  query,
  isEmpty,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <>{empty}</>;
  return <>{children(query.data)}</>;
}

/**
 * A cursor-paged list (see usePaged): loading, error, `empty`, else the rows and
 * "Load more". A next page that fails keeps the rows above its error.
 */
export function PagedList<T>({
  query,
  empty,
  children,
}: {
  query: UseInfiniteQueryResult<InfiniteData<Page<T>>>;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (!query.data) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const items = query.data.pages.flatMap((page) => page.items);
  if (items.length === 0) return <>{empty}</>;
  return (
    <>
      {children(items)}
      <LoadMore hasMore={query.hasNextPage} loading={query.isFetchingNextPage} onPress={() => void query.fetchNextPage()} />
      {query.isFetchNextPageError ? <ErrorState error={query.error} /> : null}
    </>
  );
}

/** A paged log under its filters: one row per item, each opening in place (the inbound webhook log, deliveries). */
export function PagedLog<T extends { id: string }>({
  filters,
  query,
  empty,
  row,
}: {
  filters: ReactNode;
  query: UseInfiniteQueryResult<InfiniteData<Page<T>>>;
  empty: ReactNode;
  row: (item: T) => ReactNode;
}) {
  return (
    <>
      <div className="toolbar">{filters}</div>
      <PagedList query={query} empty={empty}>
        {(items) => (
          <ul className="plain-list log-list">
            {items.map((item) => (
              <li key={item.id}>{row(item)}</li>
            ))}
          </ul>
        )}
      </PagedList>
    </>
  );
}
