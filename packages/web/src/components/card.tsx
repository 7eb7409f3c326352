import type { ReactNode } from "react";

/** A card titled by its heading (`id` links them for screen readers); `alert` marks one that needs attention. */
export function Card({
  id,
  title,
  level = 2,
  badges,
  alert,
  className,
  titleClassName,
  data,
  children,
}: {
  id: string;
  title: ReactNode;
  level?: 2 | 3;
  badges?: ReactNode;
  alert?: boolean;
  className?: string;
  titleClassName?: string;
  /** `data-*` attributes (tests and styles find cards by them). */
  data?: Record<`data-${string}`, string>;
  children: ReactNode;
}) {
  const Title = level === 2 ? "h2" : "h3";
  return (
    <article className={`card${className ? ` ${className}` : ""}${alert ? " card-alert" : ""}`} aria-labelledby={id} {...data}>
      <div className="card-head">
        <Title id={id} className={`card-title${titleClassName ? ` ${titleClassName}` : ""}`}>
          {title}
        </Title>
        {badges}
      </div>
      {children}
    </article>
  );
}
