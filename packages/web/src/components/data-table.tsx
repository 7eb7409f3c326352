import type { ReactNode } from "react";

export interface Column {
  label: string;
  /** Said to screen readers only (an actions column). */
  hidden?: boolean;
  /** "num" right-aligns a number column. */
  className?: string;
}

/**
 * A table with a header row: `stack` turns rows into cards on a phone (cells
 * carry `data-label`), `compact` is the dense log style. Columns that are
 * `false` (a column only admins see) are left out.
 */
export function DataTable({
  caption,
  columns,
  variant,
  className,
  children,
}: {
  caption?: string;
  columns: (string | Column | false)[];
  variant?: "stack" | "compact";
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={["table", variant ? `table-${variant}` : "", className ?? ""].filter(Boolean).join(" ")}>
        {caption ? <caption className="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((column, index) => {
              if (column === false) return null;
              const { label, hidden, className: cell } = typeof column === "string" ? { label: column, hidden: false, className: undefined } : column;
              return (
                <th key={index} scope="col" className={cell}>
                  {hidden ? <span className="visually-hidden">{label}</span> : label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
