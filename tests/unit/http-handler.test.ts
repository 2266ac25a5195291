import { parse } from 'node:url';
import { searchOf } from '../../src/graphql/http-handler';

describe('the query string handed to Apollo', () => {
  it('is what url.parse(…).search gives, as the express integration handed it', () => {
    const urls = ['/', '/?', '/?query=%7B__typename%7D', '/?query={__typename}&operationName=A', '/?a=1#fragment', '/#only-fragment', '/?a=b?c', '/?x=%20+y'];
    for (const url of urls) {
      expect(new URLSearchParams(searchOf(url)).toString()).toBe(new URLSearchParams(parse(url).search ?? '').toString());
    }
    expect(searchOf('/')).toBe('');
    expect(searchOf('/?query=x#y')).toBe('?query=x');
  });
});
