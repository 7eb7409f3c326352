import { useInfiniteQuery, type QueryKey } from "@tanstack/react-query";
import { api, qs } from "./api.ts";
import type { Page } from "./types.ts";

const PAGE_SIZE = 50;

/** One of the API's cursor-paged lists (`?cursor=&limit=`), page by page; show it with PagedList. */
export function usePaged<T>(queryKey: QueryKey, path: string, params: Record<string, string | undefined> = {}) {
  return useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam, signal }) => api.get<Page<T>>(`${path}${qs({ ...params, cursor: pageParam, limit: PAGE_SIZE })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.cursor,
  });
}
