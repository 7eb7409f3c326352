import { Fragment, type ReactNode } from "react";

/** Label / value pairs (a definition list); a pair whose value is absent (undefined, null, false, "") is left out. */
export function Facts({ items }: { items: [label: string, value: ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([label, value]) =>
        value === undefined || value === null || value === false || value === "" ? null : (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ),
      )}
    </dl>
  );
}
