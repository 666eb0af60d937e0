/** Lets the server-side typecheck (root tsconfig) read the client's single-file components that tests mount. */
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
