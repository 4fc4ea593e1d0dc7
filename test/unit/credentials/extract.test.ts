import { describe, expect, it } from 'vitest';
import {
  type Disambiguate,
  extractOtp,
  extractOtpWithModel,
  htmlToText,
} from '../../../src/credentials/index.js';

const GOOGLE_HTML = `<!DOCTYPE html><html><head><title>Google</title><style>.x{color:red}</style></head>
<body><table><tr><td><img src="https://www.gstatic.com/images/branding/logo_2x.png" alt="Google"></td></tr>
<tr><td><div style="font-size:24px">Verify your email address</div></td></tr>
<tr><td>Google received a request to use <a href="mailto:jane@example.com">jane@example.com</a>
as a recovery email for Google Account jane.doe2024@gmail.com.</td></tr>
<tr><td>Use this code to finish setting up this recovery email:</td></tr>
<tr><td><div style="font-size:36px;letter-spacing:8px">618273</div></td></tr>
<tr><td>This code will expire in 24 hours.</td></tr>
<tr><td>If you don&#39;t recognize jane.doe2024@gmail.com, you can safely ignore this email.</td></tr>
<tr><td>&copy; 2025 Google LLC, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA</td></tr>
</table></body></html>`;

const MICROSOFT_TEXT = `Microsoft account

Security code

Please use the following security code for the Microsoft account jo*****@example.com.

Security code: 8390

If you don't recognize the Microsoft account jo*****@example.com, you can click here to remove your email address from that account.

Thanks,
The Microsoft account team`;

const SPLIT_SPANS_HTML = `<div style="display:none">&zwnj;&nbsp;&zwnj;&nbsp;&#847; Your sign-in code</div>
<p>Hi Sam, here is your verification code:</p>
<p class="code"><span>4</span><span>0</span><span>7</span><span>1</span><span>9</span><span>3</span></p>
<p>Questions? Call us at 1-800-555-0199 or reply to order #88123.</p>`;

const MICROSOFT_HTML = `<html><body style="font-family:Segoe UI">
<table width="100%"><tr><td style="font-size:17px;color:#707070">Microsoft account</td></tr>
<tr><td style="font-size:41px;color:#2672ec">Security code</td></tr>
<tr><td>Please use the following security code for the Microsoft account <a href="mailto:ja*****@example.com">ja*****@example.com</a>.</td></tr>
<tr><td style="padding-top:25px">Security code: <span style="font-weight:bold">270531</span></td></tr>
<tr><td>If you don't recognize the Microsoft account ja*****@example.com, you can
<a href="https://account.live.com/dp?ft=Abc123&amp;id=99">click here</a> to remove your email address from that account.</td></tr>
<tr><td>Thanks,<br>The Microsoft account team</td></tr>
<tr><td style="font-size:12px">Microsoft Corporation, One Microsoft Way, Redmond, WA 98052</td></tr>
</table></body></html>`;

const AMAZON_HTML = `<html><body><div class="preheader" style="display:none">Your One Time Password&nbsp;&zwnj;&nbsp;&zwnj;</div>
<table><tr><td><h2>Verify your new Amazon account</h2></td></tr>
<tr><td>To verify your email address, please use the following One Time Password (OTP):</td></tr>
<tr><td><p style="font-size:24px"><strong>552041</strong></p></td></tr>
<tr><td>Do not share this OTP with anyone. Amazon takes your account security very seriously.
Amazon Customer Service will never ask you to disclose or verify your Amazon password, OTP,
credit card, or banking account number.</td></tr>
<tr><td>Thank you for shopping with us. Order questions? Visit amazon.com/help or call 1-888-280-4331.</td></tr>
</table></body></html>`;

const MAGIC_LINK_HTML = `<html><body>
<p>Click the button below to sign in to Example. This link expires in 15 minutes.</p>
<a href="https://app.example.com/auth/magic?token=abcDEF123456ghiJKL789&amp;email=sam%40example.com" class="btn">Sign in to Example</a>
<p>Or copy this URL into your browser.</p>
<p style="font-size:11px"><a href="https://app.example.com/help">Help</a> ·
<a href="https://mail.example.com/unsubscribe?u=42">Unsubscribe</a></p>
</body></html>`;

const RECEIPT_HTML = `<html><body><h1>Thanks for your order!</h1>
<table><tr><td>Order</td><td>#4471902</td></tr><tr><td>Total</td><td>$1,249.00</td></tr>
<tr><td>Placed</td><td>2025-03-14 10:22</td></tr></table>
<p>Track it at <a href="https://shop.example.com/orders/4471902">your orders page</a>.</p></body></html>`;

describe('extractOtp — codes', () => {
  const cases: Array<[string, string, string]> = [
    [
      'bank SMS with a hotline number',
      "Your Chase verification code is 482913. Don't share it. Chase will never call you to ask for this code. Call 1-800-935-9935 if you didn't request it.",
      '482913',
    ],
    ['Google SMS with G- prefix', 'G-582041 is your Google verification code.', '582041'],
    ['Microsoft SMS, 4 digits', 'Use 7391 as Microsoft account security code', '7391'],
    ['Amazon OTP', '123456 is your Amazon OTP. Do not share it with anyone.', '123456'],
    [
      'WhatsApp dashed code and a link holding the same digits',
      "Your WhatsApp code: 123-456. You can also tap on this link to verify your phone: v.whatsapp.com/123456. Don't share this code with others",
      '123456',
    ],
    [
      'card transaction OTP with amount, card digits and validity',
      'HDFC Bank: OTP 847261 for txn of INR 5,000.00 at AMAZON on card ending 4321. Valid for 5 mins. Do not share.',
      '847261',
    ],
    [
      'code plus an order number',
      'Your Acme verification code is 552910. Order 88812345 is unaffected.',
      '552910',
    ],
    [
      'code plus a date and a time',
      'Your code is 774411. Requested on 2024-03-05 at 14:32 from Chrome on Windows.',
      '774411',
    ],
    [
      'code plus a phone number to opt out',
      'Your Lyft code is 4417. Reply STOP to 555-123-4567 to opt out.',
      '4417',
    ],
    [
      'international phone number is ignored',
      'Verification code 902113. Questions? +1 650 253 0000',
      '902113',
    ],
    [
      'amount with currency before the code',
      'You spent $1234 at STORE. If this was you, your verification code is 998877.',
      '998877',
    ],
    [
      'masked card number',
      'Purchase on card xxxx1234 needs approval. Enter code 556677 to approve.',
      '556677',
    ],
    [
      'Apple domain-bound format repeats the code after #',
      "Your Apple ID Code is: 224466. Don't share it with anyone.\n\n@apple.com #224466 %apple.com",
      '224466',
    ],
    ['Microsoft plain-text email', MICROSOFT_TEXT, '8390'],
    ['Google HTML email', GOOGLE_HTML, '618273'],
    ['HTML email with the code split over spans', SPLIT_SPANS_HTML, '407193'],
    [
      'code in 3+3 groups',
      'Your one-time passcode is 381 904. It expires in 10 minutes.',
      '381904',
    ],
    ['Steam-style alphanumeric code', 'Your Steam Guard code is: F7K2P', 'F7K2P'],
    ['Spanish', 'Tu código de verificación es 739201. No lo compartas.', '739201'],
    [
      'German compound word',
      'Ihr Bestätigungscode lautet 582910. Er ist 10 Minuten gültig.',
      '582910',
    ],
    ['French', 'Votre code de vérification est : 403912', '403912'],
    ['Chinese', '【示例】验证码：482910，5分钟内有效，请勿泄露。', '482910'],
    ['Korean', '[Web발신] 인증번호 [583920]를 입력해주세요.', '583920'],
    ['short SMS without a code word', 'Use 482913 to continue', '482913'],
    ['code with a year nearby', 'Your login code for 2025: 650021', '650021'],
    ['PayPal SMS', "PayPal: 381920 is your security code. Don't share your code.", '381920'],
    [
      'Uber SMS with opt-out keyword',
      'Your Uber code: 1234. Never share this code. Reply STOP ENDUBER to unsubscribe.',
      '1234',
    ],
    ['Instagram 3+3 with only "verify"', 'Use 123 456 to verify your Instagram account.', '123456'],
    [
      'German bank mTAN with an amount',
      'Ihre mTAN für die Überweisung über 1.250,00 EUR an M. Muster, IBAN DE89 3704 0044 0532 0130 00, vom 04.11.2025 lautet 384756. Geben Sie diese TAN niemals telefonisch weiter. Ihre Sparkasse Musterstadt, Kundenservice 0800 1234567.',
      '384756',
    ],
    ['Portuguese', 'Seu código de verificação é 918273.', '918273'],
    ['Japanese', '認証コード：583021 このコードを他人と共有しないでください。', '583021'],
    ['Russian', 'Код подтверждения: 4827. Никому не сообщайте код.', '4827'],
    [
      'GitHub-style 8-digit code with a reference number',
      'Verification code: 40718293\n\nReference: 20251104\nYou are receiving this because a sign-in was attempted.',
      '40718293',
    ],
    ['Microsoft-style HTML email', MICROSOFT_HTML, '270531'],
    ['Amazon-style HTML email', AMAZON_HTML, '552041'],
  ];
  it.each(cases)('%s', (_name, content, code) => {
    const r = extractOtp(content);
    expect(r).toMatchObject({ status: 'found', type: 'totp', value: code });
  });
});

describe('extractOtp — bare content is the code itself', () => {
  it.each([
    ['123456', '123456'],
    ['  98765\n', '98765'],
    ['123 456', '123456'],
    ['123-456', '123456'],
    ['G-123456', '123456'],
    ['AB12CD', 'AB12CD'],
  ])('%j → %s', (content, code) => {
    expect(extractOtp(content)).toMatchObject({ status: 'found', value: code, via: 'verbatim' });
  });

  it('strips NUL bytes first', () => {
    expect(extractOtp('12\u000034\u000056')).toMatchObject({ status: 'found', value: '123456' });
  });

  it('a bare URL is a magic link', () => {
    const url = 'https://app.example.com/login/magic?t=Zx81kPq';
    expect(extractOtp(url)).toEqual({
      status: 'found',
      type: 'magic_link',
      value: url,
      via: 'verbatim',
      candidates: [],
    });
  });
});

describe('extractOtp — magic links', () => {
  it('picks the sign-in link of an HTML email, not help or unsubscribe', () => {
    const r = extractOtp(MAGIC_LINK_HTML);
    expect(r).toMatchObject({
      status: 'found',
      type: 'magic_link',
      value:
        'https://app.example.com/auth/magic?token=abcDEF123456ghiJKL789&email=sam%40example.com',
    });
  });

  it('finds a verification URL in plain text, without trailing punctuation', () => {
    const r = extractOtp(
      'Confirm your email by opening https://example.org/account/verify?token=9f8e7d6c5b4a39281726. Ignore if not you.',
    );
    expect(r).toMatchObject({
      status: 'found',
      type: 'magic_link',
      value: 'https://example.org/account/verify?token=9f8e7d6c5b4a39281726',
    });
  });

  it('prefers the code when both exist, and the link when asked for one', () => {
    const both =
      'Enter code 345678 on the sign-in page, or click https://example.com/verify?token=aaaabbbbccccdddd1111 to sign in.';
    expect(extractOtp(both)).toMatchObject({ status: 'found', type: 'totp', value: '345678' });
    expect(extractOtp(both, { expect: 'magic_link' })).toMatchObject({
      status: 'found',
      type: 'magic_link',
      value: 'https://example.com/verify?token=aaaabbbbccccdddd1111',
    });
    expect(extractOtp(both, { expect: 'totp' })).toMatchObject({ type: 'totp', value: '345678' });
  });
});

describe('extractOtp — nothing to find', () => {
  it.each([
    ['a receipt with order number, total and date', RECEIPT_HTML],
    ['a delivery notice', 'Your package has been delivered. Tracking: 1Z999AA10123456784.'],
    ['a newsletter', 'Big sale this weekend! Up to 50% off. Visit our stores.'],
    ['only a phone number', 'Call us at 555-123-4567 any time.'],
    ['empty after stripping', '  \u0000 '],
  ])('%s', (_name, content) => {
    expect(extractOtp(content).status).toBe('none');
  });
});

describe('extractOtp — ambiguity and the model fallback', () => {
  const TWO = 'Your verification codes: 111222 or 333444. Use either.';

  it('reports tied candidates', () => {
    const r = extractOtp(TWO);
    expect(r.status).toBe('ambiguous');
    expect(r.candidates.map((c) => c.value).sort()).toEqual(['111222', '333444']);
  });

  it('accepts a model answer that appears verbatim', async () => {
    const seen: string[][] = [];
    const disambiguate: Disambiguate = async (_content, candidates) => {
      seen.push(candidates.map((c) => c.value));
      return '333444';
    };
    const r = await extractOtpWithModel(TWO, { disambiguate });
    expect(r).toMatchObject({ status: 'found', value: '333444', via: 'model' });
    expect(seen).toHaveLength(1);
  });

  it('normalises a verbatim spaced answer to digits', async () => {
    const r = await extractOtpWithModel('Code A: 123 456. Code B: 654 321.', {
      disambiguate: async () => '654 321',
    });
    expect(r).toMatchObject({ status: 'found', value: '654321', via: 'model' });
  });

  it.each([
    ['an invented code', '999999'],
    ['a code that is only part of a longer number', '1112'],
    ['an empty answer', ''],
    ['null', null],
    ['a URL not in the content', 'https://evil.example.com/login'],
  ])('rejects %s', async (_name, answer) => {
    const r = await extractOtpWithModel(TWO, { disambiguate: async () => answer });
    expect(r.status).toBe('ambiguous');
  });

  it('keeps the rules result when the model fails', async () => {
    const r = await extractOtpWithModel(TWO, {
      disambiguate: async () => {
        throw new Error('provider down');
      },
    });
    expect(r.status).toBe('ambiguous');
    if (r.status === 'ambiguous') expect(r.reason).toContain('provider down');
  });

  it('does not consult the model when the rules found the code', async () => {
    let calls = 0;
    const r = await extractOtpWithModel('Your code is 246810', {
      disambiguate: async () => {
        calls++;
        return null;
      },
    });
    expect(r).toMatchObject({ status: 'found', value: '246810', via: 'rules' });
    expect(calls).toBe(0);
  });

  it('asks the model about content with a code word but no candidate', async () => {
    const content = 'Your one-time code is below:\n\nxk29qp\n\nIt expires soon.';
    expect(extractOtp(content).status).toBe('none');
    const r = await extractOtpWithModel(content, { disambiguate: async () => 'xk29qp' });
    expect(r).toMatchObject({ status: 'found', value: 'xk29qp', via: 'model' });
  });

  it('never asks the model about content without code words', async () => {
    let calls = 0;
    const r = await extractOtpWithModel('Lunch at noon?', {
      disambiguate: async () => {
        calls++;
        return 'noon';
      },
    });
    expect(r.status).toBe('none');
    expect(calls).toBe(0);
  });
});

describe('htmlToText', () => {
  it('drops head, style, script and comments; keeps line structure and links', () => {
    const { text, links } = htmlToText(
      '<html><head><title>T</title></head><body><!-- 111111 --><script>var c="222222"</script><p>A&amp;B</p><p>x<br>y</p><a href="https://e.com/?a=1&amp;b=2">Go <b>now</b></a></body></html>',
    );
    expect(text).toBe('A&B\n\nx\ny\nGo now');
    expect(links).toEqual([{ href: 'https://e.com/?a=1&b=2', text: 'Go now' }]);
  });
});

describe('extractOtp — hostile input stays linear', () => {
  // Each of these took seconds to minutes with naive backtracking regexes at this size.
  const N = 1 << 18;
  it.each([
    ['a long digit run', '1'.repeat(N), 'none'],
    ['a long letter run', 'A'.repeat(N), 'none'],
    ['unclosed comments', `<p>x</p>${'<!--'.repeat(N / 4)}`, 'none'],
    ['unclosed script tags', `<p>x</p>${'<script>'.repeat(N / 8)}`, 'none'],
    ['"<a" without ">"', `<p>x</p>${'<a'.repeat(N / 2)}`, 'none'],
    [
      'unclosed anchors',
      `<p>hi</p>${'<a href="https://e.com/verify?t=1">'.repeat(N / 36)}`,
      'none',
    ],
    ['the code repeated everywhere', 'code 123456 '.repeat(N / 12), 'found'],
  ])('%s', (_name, content, status) => {
    expect(extractOtp(content).status).toBe(status);
  });
});
