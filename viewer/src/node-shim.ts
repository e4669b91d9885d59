// Browser stand-ins for the Node modules imported by src/formats/io.ts. The viewer
// only uses the schemas and pure functions; touching files from the page is a bug.
function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser viewer`);
}
export const randomBytes = () => unavailable('crypto.randomBytes');
export const mkdirSync = () => unavailable('fs.mkdirSync');
export const readFileSync = () => unavailable('fs.readFileSync');
export const renameSync = () => unavailable('fs.renameSync');
export const rmSync = () => unavailable('fs.rmSync');
export const writeFileSync = () => unavailable('fs.writeFileSync');
export const basename = (p: string) => p.split('/').pop() ?? p;
export const dirname = (p: string) => p.split('/').slice(0, -1).join('/') || '.';
export const join = (...parts: string[]) => parts.join('/');
export default {};
