import { Fragment } from 'react';

/** The breadcrumb above a page's heading: the pages it sits under, as links, then the page itself. */
export function Crumbs({ trail, current }: { trail: ReadonlyArray<readonly [label: string, href: string]>; current: string }) {
  return (
    <nav className="crumbs" aria-label="Breadcrumb">
      {trail.map(([label, to]) => (
        <Fragment key={to}>
          <a href={to}>{label}</a>
          {' / '}
        </Fragment>
      ))}
      <span aria-current="page">{current}</span>
    </nav>
  );
}
