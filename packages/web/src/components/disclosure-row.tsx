import type { ReactNode } from "react";
import { Button as AriaButton, Disclosure, DisclosurePanel, Heading } from "react-aria-components";

/** A row that opens in place: `summary` is the heading's button, `children` the panel. */
export function DisclosureRow({ level, className, summary, children }: { level: 3 | 4; className?: string; summary: ReactNode; children: ReactNode }) {
  return (
    <Disclosure className={`disclosure${className ? ` ${className}` : ""}`}>
      <Heading level={level} className="disclosure-heading">
        <AriaButton slot="trigger" className="disclosure-trigger">
          <span aria-hidden="true" className="chevron">
            ▸
          </span>
          {summary}
        </AriaButton>
      </Heading>
      <DisclosurePanel className="disclosure-panel">{children}</DisclosurePanel>
    </Disclosure>
  );
}
