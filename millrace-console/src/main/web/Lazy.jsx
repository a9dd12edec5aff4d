// Where a part of the page that is loaded when first shown (React.lazy: a dynamic import of a chunk of its own) goes,
// so that the first screen downloads only what it draws. While the chunk loads, one line says so; if it cannot be
// loaded (the server went away, or it now runs another build than the one that served this page, whose hashed chunk
// names are gone) or the part fails, the error is shown in its place with a reload, instead of a blank page.
import { Component, Suspense } from "react";

export default function Lazy({ what, children }) {
  return (
    <Failure what={what}>
      <Suspense fallback={<p className="dim" data-testid="loading">Loading {what}…</p>}>{children}</Suspense>
    </Failure>
  );
}

/** React catches render and load errors only in a class component's getDerivedStateFromError. */
class Failure extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
  }

  static getDerivedStateFromError(error) {
    return { error };
  }

  render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <p className="error" role="alert" data-testid="part-failed">
        The {this.props.what} could not be shown: {error.message || String(error)}{" "}
        <button type="button" onClick={() => location.reload()}>Reload the page</button>
      </p>
    );
  }
}
